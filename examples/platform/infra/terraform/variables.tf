variable "environment" {
  type        = string
  description = "development, staging or production"

  validation {
    condition     = contains(["development", "staging", "production"], var.environment)
    error_message = "The environment is development, staging or production."
  }
}

variable "region" {
  type        = string
  description = "The Linode region of the cluster"
  default     = "us-east"
}

variable "aws_region" {
  type        = string
  description = "The AWS region of the backups"
  default     = "us-east-1"
}

variable "node_count" {
  type        = number
  description = "Nodes in the cluster's pool"
  default     = 3
}

variable "admin_cidrs" {
  type        = list(string)
  description = "Addresses allowed to reach the Kubernetes API"
}
