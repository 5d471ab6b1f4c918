variable "name" {
	type = string
	default = "alerting"
}

variable "size" {
  type    = number
  default = 7
}

locals {
	full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "alerting", tier = "frontend" }
}

resource "null_resource" "alerting" {
  count = var.size
  triggers = {
	name = local.full_name
    index = count.index # which one
  }
}

output "alerting_ids" {
  value = null_resource.alerting[*].id
}
