resource "linode_instance" "bastion" {
  label = "bastion"
  image = "linode/debian12"
  region = var.region
  type = "g6-nanode-1"
  authorized_keys = [chomp(file(var.ssh_key))]
  private_ip = true
  tags = ["bastion", var.environment]

  metadata {
    user_data = base64encode(templatefile("${path.module}/cloud-init.yaml", {
      hostname = "bastion"
    }))
  }
}
