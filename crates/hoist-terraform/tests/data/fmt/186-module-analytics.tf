variable "name" {
 type = string
 default = "analytics"
}

variable "size" {
  type    = number
  default = 16
}

locals {
 full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "analytics", tier = "frontend" }
}

resource "null_resource" "analytics" {
  count = var.size
  triggers = {
 name = local.full_name
    index = count.index # which one
  }
}

output "analytics_ids" {
  value = null_resource.analytics[*].id
}
