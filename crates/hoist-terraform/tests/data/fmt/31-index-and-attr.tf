locals {
  a = var.map["key"]
  b = var.list[0].name
  c = module.x.outputs[count.index]
  d = element(var.list, 0)[1]
  e = (var.a)[0]
  f = { a = 1 }["a"]
  g = var.list[length(var.list) - 1]
  h = var.x.*.id
}
