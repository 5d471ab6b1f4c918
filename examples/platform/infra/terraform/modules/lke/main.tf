terraform {
  required_version = ">= 1.0"
  required_providers {
    linode = {
      source  = "linode/linode"
      version = "~> 2.5"
    }
  }
}

variable "name" {
  type = string
}

variable "region" {
  type = string
}

variable "node_count" {
  type = number
}

variable "admin_cidrs" {
  type = list(string)
}

variable "tags" {
  type = list(string)
}

resource "linode_lke_cluster" "this" {
  label       = var.name
  k8s_version = "1.28"
  region      = var.region
  tags        = var.tags

  control_plane {
    acl {
      enabled = true
      addresses {
        ipv4 = var.admin_cidrs
      }
    }
  }

  pool {
    type  = "g6-standard-2"
    count = var.node_count

    autoscaler {
      min = var.node_count
      max = var.node_count * 2
    }
  }
}

output "id" {
  value = linode_lke_cluster.this.id
}

output "kubeconfig" {
  value     = linode_lke_cluster.this.kubeconfig
  sensitive = true
}
