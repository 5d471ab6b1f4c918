variable "name" {
 type = string
 default = "edge"
}

variable "size" {
  type    = number
  default = 20
}

locals {
 full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "edge", tier = "backend" }
}

resource "null_resource" "edge" {
  count = var.size
  triggers = {
 name = local.full_name
    index = count.index # which one
  }
}

output "edge_ids" {
  value = null_resource.edge[*].id
}
