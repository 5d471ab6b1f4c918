variable "name" {
	type = string
	default = "archive"
}

variable "size" {
  type    = number
  default = 27
}

locals {
	full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "archive", tier = "data" }
}

resource "null_resource" "archive" {
  count = var.size
  triggers = {
	name = local.full_name
    index = count.index # which one
  }
}

output "archive_ids" {
  value = null_resource.archive[*].id
}
