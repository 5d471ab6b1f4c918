terraform {
  required_version = ">= 1.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

variable "ports" {
  type = list(number)
}

variable "users" {
  type = map(string)
}

resource "aws_security_group" "sg" {
  name = "sg-${path.module}-${terraform.workspace}"

  dynamic "ingress" {
    for_each = var.ports
    content {
      from_port = ingress.value
      to_port   = ingress.key
    }
  }

  dynamic "egress" {
    for_each = var.ports
    iterator = port
    content {
      from_port = port.value
    }
  }
}

resource "aws_iam_user" "u" {
  for_each = var.users
  name     = each.key
  path     = "/${each.value}/"
  tags     = { for k, v in var.users : k => upper(v) if v != self.name }
}

resource "aws_instance" "n" {
  count = length([for p in var.ports : p * 2])
  ami   = "ami-${count.index}"
  tags  = { Names = join(",", [for s in aws_security_group.sg[*].name : s]) }
}
