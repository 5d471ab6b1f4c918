variable "name" {
    type = string
    default = "observability"
}

variable "size" {
  type    = number
  default = 18
}

locals {
    full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "observability", tier = "data" }
}

resource "null_resource" "observability" {
  count = var.size
  triggers = {
    name = local.full_name
    index = count.index # which one
  }
}

output "observability_ids" {
  value = null_resource.observability[*].id
}
