variable "name" {
 type = string
 default = "certificates"
}

variable "size" {
  type    = number
  default = 12
}

locals {
 full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "certificates", tier = "data" }
}

resource "null_resource" "certificates" {
  count = var.size
  triggers = {
 name = local.full_name
    index = count.index # which one
  }
}

output "certificates_ids" {
  value = null_resource.certificates[*].id
}
