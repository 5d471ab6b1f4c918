variable "name" {
    type = string
    default = "streaming"
}

variable "size" {
  type    = number
  default = 22
}

locals {
    full_name = "${var.name}-${terraform.workspace}"
  labels = { component = "streaming", tier = "frontend" }
}

resource "null_resource" "streaming" {
  count = var.size
  triggers = {
    name = local.full_name
    index = count.index # which one
  }
}

output "streaming_ids" {
  value = null_resource.streaming[*].id
}
