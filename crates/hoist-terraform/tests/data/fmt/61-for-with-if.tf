locals {
  evens = [for n in var.numbers : n if n % 2 == 0]
  filtered = { for k, v in var.map : k => v if v != null && k != "skip" }
}
