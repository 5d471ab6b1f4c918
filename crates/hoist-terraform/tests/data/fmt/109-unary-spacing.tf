locals {
  a = ! var.x
  b = - var.y
  c = 1 - - 1
  d = [ - 1 ]
  e = var.a == - 1
}
