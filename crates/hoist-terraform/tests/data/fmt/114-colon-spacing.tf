locals {
  a = var.x ?1:2
  b = var.x ? "a" :"b"
  c = { for k , v in var.m : k=>v }
}
