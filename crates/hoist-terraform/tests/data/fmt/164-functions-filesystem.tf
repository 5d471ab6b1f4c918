locals {
  files = fileset(path.module, "templates/*.tpl")
  rendered = { for f in local.files : f => templatefile("${path.module}/${f}", var.context) }
  exists = fileexists("${path.module}/optional.txt")
  sha = filesha256("${path.module}/main.tf")
  root = abspath(path.root)
}
