locals {
  as_set = toset(var.list)
  as_list = tolist(local.as_set)
  as_map = tomap({ a = "1" })
  as_number = tonumber("42")
  as_string = tostring(42)
  as_bool = tobool("true")
  safe = try(tonumber(var.maybe), 0)
  ok = can(regex("^[a-z]+$", var.name))
}
