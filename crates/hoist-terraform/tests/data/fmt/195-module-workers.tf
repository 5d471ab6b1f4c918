variable "name" {
  type = string
  default = "workers"
}

variable "size" {
  type    = number
  default = 25
}

locals {
  full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "workers", tier = "frontend" }
}

resource "null_resource" "workers" {
  count = var.size
  triggers = {
  name = local.full_name
    index = count.index # which one
  }
}

output "workers_ids" {
  value = null_resource.workers[*].id
}
