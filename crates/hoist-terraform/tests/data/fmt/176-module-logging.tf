variable "name" {
    type = string
    default = "logging"
}

variable "size" {
  type    = number
  default = 6
}

locals {
    full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "logging", tier = "data" }
}

resource "null_resource" "logging" {
  count = var.size
  triggers = {
    name = local.full_name
    index = count.index # which one
  }
}

output "logging_ids" {
  value = null_resource.logging[*].id
}
