resource "linode_lke_cluster" "platform" {
    label       = "platform-${var.environment}"
    k8s_version = "1.28"
    region      = var.region
    tags        = ["platform", var.environment]

    pool {
        type  = "g6-standard-2"
        count = var.node_count
        autoscaler {
          min = 3
          max = 10
        }
    }
}

resource "linode_firewall" "fw" {
  label = "fw"
  inbound {
    label = "allow-https"
    action = "ACCEPT"
    protocol = "TCP"
    ports = "443"
    ipv4 = ["0.0.0.0/0"]
  }
  inbound_policy = "DROP"
  outbound_policy = "ACCEPT"
}
