locals {
  a = 1 + 2 * 3 - 4 / 2 % 3
  b = !(var.x && var.y) || var.z
  c = var.a >= 10 && var.a <= 20
  d = (var.a + var.b) * (var.c - var.d)
  e = -(var.x * 2)
}
