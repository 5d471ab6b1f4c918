locals {
  args = ["a", "b"]
  joined = format("%s-%s", local.args...)
  merged = merge(var.maps ...)
  grouped = { for s in var.items : s.group => s ... }
}
