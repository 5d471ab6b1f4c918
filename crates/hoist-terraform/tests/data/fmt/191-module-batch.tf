variable "name" {
  type = string
  default = "batch"
}

variable "size" {
  type    = number
  default = 21
}

locals {
  full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "batch", tier = "data" }
}

resource "null_resource" "batch" {
  count = var.size
  triggers = {
  name = local.full_name
    index = count.index # which one
  }
}

output "batch_ids" {
  value = null_resource.batch[*].id
}
