terraform {
  required_version = ">= 1.0"
  required_providers {
    linode = {
      source  = "linode/linode"
      version = "~> 2.5"
    }
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

variable "name" {
  type = string
}

variable "environment" {
  type = string
}

# Object storage for build metrics, as in the platform's architecture document.
resource "linode_object_storage_bucket" "build_metrics" {
  cluster = "us-east-1"
  label   = "ai-aas-build-metrics-${var.environment}"
  acl     = "private"
}

# Off-site backups of the cluster's volumes.
resource "aws_s3_bucket" "backups" {
  bucket = "${var.name}-backups"
}

resource "aws_s3_bucket_public_access_block" "backups" {
  bucket                  = aws_s3_bucket.backups.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "backups" {
  bucket = aws_s3_bucket.backups.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_s3_bucket_versioning" "backups" {
  bucket = aws_s3_bucket.backups.id
  versioning_configuration {
    status = "Enabled"
  }
}

output "metrics_bucket" {
  value = linode_object_storage_bucket.build_metrics.label
}
