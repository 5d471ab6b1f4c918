variable "name" {
  type = string
  default = "cdn"
}

variable "size" {
  type    = number
  default = 1
}

locals {
  full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "cdn", tier = "frontend" }
}

resource "null_resource" "cdn" {
  count = var.size
  triggers = {
  name = local.full_name
    index = count.index # which one
  }
}

output "cdn_ids" {
  value = null_resource.cdn[*].id
}
