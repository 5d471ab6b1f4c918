terraform {
  required_version = ">= 1.0"
  required_providers {
    aws = {
      source = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

variable "cidr" {
  type = string
  default = "10.0.0.0/16"
  description = "The VPC's address range"
}

variable "azs" {
  type    = list(string)
  default = ["eu-west-1a","eu-west-1b", "eu-west-1c"]
}

resource "aws_vpc" "main" {
  cidr_block = var.cidr
  enable_dns_hostnames = true
  tags = {
    Name = "main"
    Environment = var.environment
  }
}

resource "aws_subnet" "private" {
  count = length(var.azs)
  vpc_id = aws_vpc.main.id
  cidr_block = cidrsubnet(var.cidr, 8, count.index)
  availability_zone = var.azs[count.index]
}
