locals {
  a = 1+2
  b = 3 -  4
  c = 5*6
  d = 7/ 8
  e = 9 %10
  f = var.a==var.b
  g = var.a!=var.b
  h = var.a<var.b
  i = var.a>var.b
  j = !var.a&&!var.b
  k = -var.a * -2
  l = var.a ? -1 : 1
  m = [-1, -2]
  n = { x = -1 }
}
