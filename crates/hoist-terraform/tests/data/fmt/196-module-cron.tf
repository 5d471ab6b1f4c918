variable "name" {
    type = string
    default = "cron"
}

variable "size" {
  type    = number
  default = 26
}

locals {
    full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "cron", tier = "backend" }
}

resource "null_resource" "cron" {
  count = var.size
  triggers = {
    name = local.full_name
    index = count.index # which one
  }
}

output "cron_ids" {
  value = null_resource.cron[*].id
}
