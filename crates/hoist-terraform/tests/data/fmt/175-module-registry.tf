variable "name" {
  type = string
  default = "registry"
}

variable "size" {
  type    = number
  default = 5
}

locals {
  full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "registry", tier = "backend" }
}

resource "null_resource" "registry" {
  count = var.size
  triggers = {
  name = local.full_name
    index = count.index # which one
  }
}

output "registry_ids" {
  value = null_resource.registry[*].id
}
