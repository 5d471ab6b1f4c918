module "bastion" {
  count = var.enable_bastion ? 1 : 0
  source = "git::https://example.com/modules/bastion.git?ref=v1.2.0"
  name = "bastion-${count.index}"
  providers = {
    aws = aws.west
  }
}

provider "aws" {
  alias = "west"
  region = "us-west-2"
}
