variable "name" {
	type = string
	default = "secrets"
}

variable "size" {
  type    = number
  default = 11
}

locals {
	full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "secrets", tier = "backend" }
}

resource "null_resource" "secrets" {
  count = var.size
  triggers = {
	name = local.full_name
    index = count.index # which one
  }
}

output "secrets_ids" {
  value = null_resource.secrets[*].id
}
