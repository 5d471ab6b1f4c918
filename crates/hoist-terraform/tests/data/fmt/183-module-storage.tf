variable "name" {
  type = string
  default = "storage"
}

variable "size" {
  type    = number
  default = 13
}

locals {
  full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "storage", tier = "frontend" }
}

resource "null_resource" "storage" {
  count = var.size
  triggers = {
  name = local.full_name
    index = count.index # which one
  }
}

output "storage_ids" {
  value = null_resource.storage[*].id
}
