resource "linode_firewall" "open" {
  label           = "open"
  inbound_policy  = "ACCEPT"
  outbound_policy = "ACCEPT"

  inbound {
    label    = "ssh"
    action   = "ACCEPT"
    protocol = "TCP"
    ports    = "22,80-90"
    ipv4     = ["0.0.0.0/0"]
  }

  linodes = [linode_instance.protected.id]
}

resource "linode_firewall" "closed" {
  label           = "closed"
  inbound_policy  = "DROP"
  outbound_policy = "ACCEPT"

  inbound {
    label    = "https"
    action   = "ACCEPT"
    protocol = "TCP"
    ports    = "443"
    ipv4     = ["0.0.0.0/0"]
  }
}

resource "linode_instance" "protected" {
  label     = "protected"
  region    = "eu-central"
  type      = "g6-nanode-1"
  root_pass = var.root_pass
}

resource "linode_instance" "bare" {
  label     = "bare"
  region    = "eu-central"
  type      = "g6-nanode-1"
  root_pass = "hunter2hunter2"
}

resource "linode_lke_cluster" "open" {
  label       = "open"
  k8s_version = "1.28"
  region      = "eu-central"
  pool {
    type  = "g6-standard-2"
    count = 3
  }
}

resource "linode_lke_cluster" "locked" {
  label       = "locked"
  k8s_version = "1.28"
  region      = "eu-central"
  control_plane {
    acl {
      enabled = true
      addresses {
        ipv4 = ["203.0.113.0/24"]
      }
    }
  }
  pool {
    type  = "g6-standard-2"
    count = 3
  }
}

resource "linode_object_storage_bucket" "site" {
  cluster = "eu-central-1"
  label   = "site"
  acl     = "public-read"
}

resource "linode_nodebalancer_config" "web" {
  nodebalancer_id = 1
  port            = 80
  protocol        = "http"
}

# Resolved through a variable's default and a local: the values are static.
variable "bucket_acl" {
  type    = string
  default = "public-read"
}

locals {
  db_allow = ["0.0.0.0/0"]
}

resource "linode_object_storage_bucket" "via_variable" {
  cluster = "eu-central-1"
  label   = "via-variable"
  acl     = var.bucket_acl
}

resource "linode_database_postgresql" "db" {
  label      = "db"
  engine_id  = "postgresql/15"
  region     = "eu-central"
  type       = "g6-dedicated-2"
  allow_list = local.db_allow
}

resource "linode_instance" "keyless" {
  label  = "keyless"
  region = "eu-central"
  type   = "g6-nanode-1"
  image  = "linode/debian12"
}
