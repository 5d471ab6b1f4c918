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

  # State in Linode Object Storage (S3-compatible); the key is given per environment at
  # init: terraform init -backend-config="key=<environment>/terraform.tfstate".
  backend "s3" {
    bucket                      = "ai-aas-terraform-state"
    region                      = "us-east-1"
    endpoint                    = "https://us-east-1.linodeobjects.com"
    skip_credentials_validation = true
    skip_region_validation      = true
  }
}

provider "linode" {}

provider "aws" {
  region = var.aws_region
}
