locals {
  subnets = [for i in range(3) : cidrsubnet(var.cidr, 8, i)]
  host = cidrhost(var.cidr, 10)
  netmask = cidrnetmask("10.0.0.0/16")
  many = cidrsubnets("10.0.0.0/16", 4, 4, 8, 8)
}
