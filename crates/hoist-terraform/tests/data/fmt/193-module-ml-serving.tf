variable "name" {
	type = string
	default = "ml-serving"
}

variable "size" {
  type    = number
  default = 23
}

locals {
	full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "ml-serving", tier = "backend" }
}

resource "null_resource" "ml_serving" {
  count = var.size
  triggers = {
	name = local.full_name
    index = count.index # which one
  }
}

output "ml_serving_ids" {
  value = null_resource.ml_serving[*].id
}
