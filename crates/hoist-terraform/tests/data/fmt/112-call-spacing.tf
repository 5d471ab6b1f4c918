locals {
  a = length (var.list)
  b = lookup( var.map , "k" , "d" )
  c = coalesce(var.a,var.b,"z")
}
