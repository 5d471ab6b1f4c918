locals {
  a = "${
    var.a ? 1 : 2
  }"
  b = "${
(var.a)
}"
}
resource aws_instance foo {
  ami = 1
}
resource "a" /* c */ "b" {
}
variable "s" {
  type = set
}
