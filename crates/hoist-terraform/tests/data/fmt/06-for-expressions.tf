locals {
  upper = [for s in var.list : upper(s)]
  map = {for k, v in var.map : k => v if v != ""}
  grouped = {for s in var.services : s.team => s.name...}
  nested = [for x in [for y in var.ys: y * 2]: x + 1]
  tuple = [for x in [1, 2, 3]: x]
  splat = aws_instance.web[*].id
  legacy_splat = aws_instance.web.*.id
}
