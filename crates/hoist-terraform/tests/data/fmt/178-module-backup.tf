variable "name" {
 type = string
 default = "backup"
}

variable "size" {
  type    = number
  default = 8
}

locals {
 full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "backup", tier = "backend" }
}

resource "null_resource" "backup" {
  count = var.size
  triggers = {
 name = local.full_name
    index = count.index # which one
  }
}

output "backup_ids" {
  value = null_resource.backup[*].id
}
