variable "name" {
  type = string
}

locals {
  tags = { Name = var.name }
}

data "aws_region" "current" {}

resource "aws_s3_bucket" "logs" {
  bucket = "${var.name}-logs-${data.aws_region.current.name}"
  tags   = local.tags
}

module "network" {
  source = "git::https://example.com/network.git?ref=v1.4.0"
  name   = var.name
}

output "bucket" {
  value = aws_s3_bucket.logs.id
}

output "vpc" {
  value = module.network.vpc_id
}
