variable "name" {
 type = string
 default = "dns"
}

variable "size" {
  type    = number
  default = 4
}

locals {
 full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "dns", tier = "frontend" }
}

resource "null_resource" "dns" {
  count = var.size
  triggers = {
 name = local.full_name
    index = count.index # which one
  }
}

output "dns_ids" {
  value = null_resource.dns[*].id
}
