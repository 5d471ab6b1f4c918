locals {
  coalesced = coalesce(var.a, var.b, "c")
  coalesced_list = coalescelist(var.list_a, var.list_b)
  one = one(var.maybe_single)
  sensitive_value = sensitive(var.secret)
  nonsensitive_value = nonsensitive(sha256(var.secret))
  alltrue = alltrue([for x in var.list : x > 0])
  anytrue = anytrue([for x in var.list : x < 0])
}
