variable "name" {
	type = string
	default = "cache"
}

variable "size" {
  type    = number
  default = 3
}

locals {
	full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "cache", tier = "data" }
}

resource "null_resource" "cache" {
  count = var.size
  triggers = {
	name = local.full_name
    index = count.index # which one
  }
}

output "cache_ids" {
  value = null_resource.cache[*].id
}
