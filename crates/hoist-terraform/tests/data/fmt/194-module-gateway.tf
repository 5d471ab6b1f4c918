variable "name" {
 type = string
 default = "gateway"
}

variable "size" {
  type    = number
  default = 24
}

locals {
 full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "gateway", tier = "data" }
}

resource "null_resource" "gateway" {
  count = var.size
  triggers = {
 name = local.full_name
    index = count.index # which one
  }
}

output "gateway_ids" {
  value = null_resource.gateway[*].id
}
