locals {
  a = {x: 1, y: 2}
  b = {
    "quoted key" = 1
    "a:b"        = 2
    (var.dynamic_key) = 3
  }
  c = { for k in var.keys: k => true }
}
