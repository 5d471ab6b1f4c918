locals {
  merged = merge( var.a , var.b )
  joined = join( ",", var.list )
  formatted = format("%s-%s",var.a,var.b)
  json = jsonencode({ a = 1, b = [1,2,3] })
  expanded = concat(var.a...)
  call_multi = templatefile("${path.module}/tpl.sh", {
    name = var.name
    port = 8080
  })
  try = try(var.object.attr, null)
}
