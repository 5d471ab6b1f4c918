variable "region" {
  type = string
}

variable "environment" {
  type = string
}

variable "unused" {
  type = number
}

variable "untyped" {
  default = 1
}

locals {
  name  = "platform-${var.environmnet}"
  spare = 1
}

data "aws_ami" "ubuntu" {
  most_recent = true
}

resource "aws_instance" "web" {
  count         = 2
  for_each      = toset(["a"])
  ami           = aws_ami_lookup.id
  instance_type = local.size
  tags = {
    Name   = local.name
    Region = "${var.region}"
    Other  = var.untyped
  }
}

module "db" {
  source = "git::https://example.com/db.git"
}

module "cache" {
  source = "github.com/acme/cache?ref=main"
}

output "ip" {
  value = aws_instance.webb.public_ip
}
