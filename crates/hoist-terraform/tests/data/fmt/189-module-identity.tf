variable "name" {
	type = string
	default = "identity"
}

variable "size" {
  type    = number
  default = 19
}

locals {
	full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "identity", tier = "frontend" }
}

resource "null_resource" "identity" {
  count = var.size
  triggers = {
	name = local.full_name
    index = count.index # which one
  }
}

output "identity_ids" {
  value = null_resource.identity[*].id
}
