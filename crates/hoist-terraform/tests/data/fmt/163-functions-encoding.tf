locals {
  b64 = base64encode(var.data)
  decoded = base64decode(var.encoded)
  json = jsondecode(file("${path.module}/config.json"))
  yaml = yamldecode(file("${path.module}/values.yaml"))
  url = urlencode("a b&c")
  csv = csvdecode(file("${path.module}/users.csv"))
}
