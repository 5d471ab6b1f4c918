variable "name" {
    type = string
    default = "queue"
}

variable "size" {
  type    = number
  default = 2
}

locals {
    full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "queue", tier = "backend" }
}

resource "null_resource" "queue" {
  count = var.size
  triggers = {
    name = local.full_name
    index = count.index # which one
  }
}

output "queue_ids" {
  value = null_resource.queue[*].id
}
