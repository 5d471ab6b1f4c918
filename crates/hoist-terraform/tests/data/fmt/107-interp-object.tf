locals {
  a = "${{ a = 1 }}"
  b = "${ jsonencode({ x = 1 }) }"
  c = "prefix-${var.x}"
  d = "${var.x}${var.y}"
}
