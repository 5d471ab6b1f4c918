locals {
  size = var.environment == "production" ? "large" : "small"
  count = var.enabled ? 1 : 0
  neg = -1
  sub = var.a - 1
  neg_in_call = max(-1, -var.b)
  not = !var.flag
  math = (var.a+var.b)*var.c/2%3
  cmp = var.a>=1&&var.b<=2||var.c!=3
  minus_after_paren = (-var.x)
}
