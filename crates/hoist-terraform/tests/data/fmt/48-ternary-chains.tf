locals {
  size = var.env == "prod" ? "large" : var.env == "staging" ? "medium" : "small"
  multi = (
    var.a
      ? var.b
      : var.c
  )
  nested = var.x ? (var.y ? 1 : 2) : 3
}
