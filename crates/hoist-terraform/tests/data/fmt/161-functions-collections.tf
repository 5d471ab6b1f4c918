locals {
  product = setproduct(var.envs, var.regions)
  pairs = [for p in local.product : "${p[0]}-${p[1]}"]
  flat = flatten([for s in var.services : [for p in s.ports : { service = s.name, port = p }]])
  distinct_ports = distinct([for x in local.flat : x.port])
  by_service = { for x in local.flat : x.service => x.port... }
  zipped = zipmap(var.keys, var.values)
  sliced = slice(var.list, 0, 2)
}
