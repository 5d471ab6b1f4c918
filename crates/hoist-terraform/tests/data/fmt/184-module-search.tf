variable "name" {
    type = string
    default = "search"
}

variable "size" {
  type    = number
  default = 14
}

locals {
    full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "search", tier = "backend" }
}

resource "null_resource" "search" {
  count = var.size
  triggers = {
    name = local.full_name
    index = count.index # which one
  }
}

output "search_ids" {
  value = null_resource.search[*].id
}
