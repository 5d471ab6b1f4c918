variable "name" {
    type = string
    default = "feature-flags"
}

variable "size" {
  type    = number
  default = 30
}

locals {
    full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "feature-flags", tier = "data" }
}

resource "null_resource" "feature_flags" {
  count = var.size
  triggers = {
    name = local.full_name
    index = count.index # which one
  }
}

output "feature_flags_ids" {
  value = null_resource.feature_flags[*].id
}
