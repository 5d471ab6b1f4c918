variable "name" {
  type = string
  default = "billing-db"
}

variable "size" {
  type    = number
  default = 29
}

locals {
  full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "billing-db", tier = "backend" }
}

resource "null_resource" "billing_db" {
  count = var.size
  triggers = {
  name = local.full_name
    index = count.index # which one
  }
}

output "billing_db_ids" {
  value = null_resource.billing_db[*].id
}
