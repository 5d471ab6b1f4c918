terraform {
  backend "s3" {
    bucket = "platform-state"
    key = "staging/terraform.tfstate"
    region = "eu-west-1"
    endpoint = "https://eu-central-1.linodeobjects.com"
    skip_credentials_validation = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { ManagedBy = "terraform" }
  }
}

provider "linode" {
  token = var.linode_token
}
