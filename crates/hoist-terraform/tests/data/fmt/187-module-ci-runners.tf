variable "name" {
  type = string
  default = "ci-runners"
}

variable "size" {
  type    = number
  default = 17
}

locals {
  full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "ci-runners", tier = "backend" }
}

resource "null_resource" "ci_runners" {
  count = var.size
  triggers = {
  name = local.full_name
    index = count.index # which one
  }
}

output "ci_runners_ids" {
  value = null_resource.ci_runners[*].id
}
