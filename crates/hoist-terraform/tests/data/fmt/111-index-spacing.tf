locals {
  a = var.list [0]
  b = var.map ["k"]
  c = (var.x) [1]
  d = [1, 2] [0]
}
