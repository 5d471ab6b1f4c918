variable "name" {
	type = string
	default = "mail"
}

variable "size" {
  type    = number
  default = 15
}

locals {
	full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "mail", tier = "data" }
}

resource "null_resource" "mail" {
  count = var.size
  triggers = {
	name = local.full_name
    index = count.index # which one
  }
}

output "mail_ids" {
  value = null_resource.mail[*].id
}
