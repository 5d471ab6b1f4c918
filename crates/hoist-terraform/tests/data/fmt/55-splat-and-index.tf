locals {
  ids = aws_instance.web[*].id
  first = aws_instance.web[0].id
  names = [for i in aws_instance.web : i.tags["Name"]]
  deep = var.a.b[1].c["d"].e
  legacy = var.list.0
}
