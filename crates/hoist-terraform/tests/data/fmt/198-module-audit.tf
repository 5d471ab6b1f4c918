variable "name" {
 type = string
 default = "audit"
}

variable "size" {
  type    = number
  default = 28
}

locals {
 full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "audit", tier = "frontend" }
}

resource "null_resource" "audit" {
  count = var.size
  triggers = {
 name = local.full_name
    index = count.index # which one
  }
}

output "audit_ids" {
  value = null_resource.audit[*].id
}
