resource "google_compute_network" "vpc" {
  name = "platform-vpc"
  auto_create_subnetworks = false
  routing_mode = "REGIONAL"
}

resource "google_compute_subnetwork" "private" {
  name = "private"
  ip_cidr_range = "10.10.0.0/20"
  region = var.region
  network = google_compute_network.vpc.id
  private_ip_google_access = true

  secondary_ip_range {
    range_name = "pods"
    ip_cidr_range = "10.20.0.0/14"
  }
  secondary_ip_range {
    range_name    = "services"
    ip_cidr_range = "10.24.0.0/20"
  }
}
