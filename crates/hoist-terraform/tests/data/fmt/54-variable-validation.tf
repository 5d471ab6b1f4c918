variable "environment" {
  type = string
  description = "Deployment environment"
  nullable = false
  sensitive = false

  validation {
    condition = can(regex("^(dev|staging|prod)$", var.environment))
    error_message = "Must be dev, staging or prod."
  }
}

variable "complex" {
  type = object({
    name = string
    ports = list(number)
    tags = optional(map(string))
  })
  default = {
    name = "x"
    ports = [80]
  }
}
