locals {
  a = [
    for x in var.list : {
      name = x.name
      value = x.value
    }
  ]
  b = merge(
    var.defaults,
    {
      extra = true
    },
  )
  c = (
    var.a
    ? "yes"
    : "no"
  )
  d = { for k, v in var.m :
    k => v
  }
}
