resource "null_resource" "a" { triggers = { always = timestamp() } }
locals { x = 1 }
variable "empty" {}
resource "null_resource" "b" {   }
