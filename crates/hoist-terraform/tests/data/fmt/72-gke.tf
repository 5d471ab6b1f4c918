resource "google_container_cluster" "gke" {
  name     = "platform"
  location = var.region
  remove_default_node_pool = true
  initial_node_count = 1

  workload_identity_config {
    workload_pool = "${var.project}.svc.id.goog"
  }

  master_authorized_networks_config {
    dynamic "cidr_blocks" {
      for_each = var.admin_cidrs
      content {
        cidr_block = cidr_blocks.value
        display_name = "admin-${cidr_blocks.key}"
      }
    }
  }
}
