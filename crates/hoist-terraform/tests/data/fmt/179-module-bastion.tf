variable "name" {
  type = string
  default = "bastion"
}

variable "size" {
  type    = number
  default = 9
}

locals {
  full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "bastion", tier = "data" }
}

resource "null_resource" "bastion" {
  count = var.size
  triggers = {
  name = local.full_name
    index = count.index # which one
  }
}

output "bastion_ids" {
  value = null_resource.bastion[*].id
}
