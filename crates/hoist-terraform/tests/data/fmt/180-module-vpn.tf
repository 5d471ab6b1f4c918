variable "name" {
    type = string
    default = "vpn"
}

variable "size" {
  type    = number
  default = 10
}

locals {
    full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "vpn", tier = "frontend" }
}

resource "null_resource" "vpn" {
  count = var.size
  triggers = {
    name = local.full_name
    index = count.index # which one
  }
}

output "vpn_ids" {
  value = null_resource.vpn[*].id
}
