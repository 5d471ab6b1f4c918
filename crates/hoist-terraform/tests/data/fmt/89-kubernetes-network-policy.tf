resource "kubernetes_network_policy" "deny" {
  metadata {
    name = "default-deny"
    namespace = "platform"
  }
  spec {
    pod_selector {}
    policy_types = ["Ingress", "Egress"]
  }
}

resource "kubernetes_network_policy" "allow_api" {
  metadata {
    name      = "allow-api"
    namespace = "platform"
  }
  spec {
    pod_selector {
      match_labels = { app = "api-router" }
    }
    ingress {
      from {
        namespace_selector {
          match_labels = { name = "ingress" }
        }
      }
      ports {
        port = "8080"
        protocol = "TCP"
      }
    }
    policy_types = ["Ingress"]
  }
}
