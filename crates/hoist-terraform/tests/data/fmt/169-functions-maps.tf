locals {
  merged = merge(var.defaults, var.overrides, { extra = true })
  keys = keys(local.merged)
  values = values(local.merged)
  lookup = lookup(local.merged, "missing", "default")
  has = contains(keys(local.merged), "extra")
  matching = matchkeys(var.values, var.keys, ["a"])
}
