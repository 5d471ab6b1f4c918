terraform {
  backend "s3" {
    bucket = "state-${var.environment}"
    key    = "fixed/terraform.tfstate"
  }
}

variable "environment" {
  type = string
}
