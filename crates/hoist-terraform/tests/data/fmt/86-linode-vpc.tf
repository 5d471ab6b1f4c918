resource "linode_vpc" "main" {
  label = "platform-${var.environment}"
  region = var.region
  description = "Platform network"
}

resource "linode_vpc_subnet" "private" {
  vpc_id = linode_vpc.main.id
  label = "private"
  ipv4 = "10.0.0.0/24"
}
