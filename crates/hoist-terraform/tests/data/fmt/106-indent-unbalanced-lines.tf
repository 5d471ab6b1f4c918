locals {
  a = merge({
    x = 1
  }, {
    y = 2
  })
  b = [for v in var.list : {
    name = v
  }]
}
