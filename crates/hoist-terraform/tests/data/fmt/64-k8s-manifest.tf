resource "kubernetes_deployment" "app" {
  metadata {
    name = "app"
    labels = {
      app = "app"
    }
  }
  spec {
    replicas = 3
    selector {
      match_labels = {
        app = "app"
      }
    }
    template {
      metadata {
        labels = {
          app = "app"
        }
      }
      spec {
        container {
          image = "nginx:1.25"
          name = "nginx"
          resources {
            limits = {
              cpu = "0.5"
              memory = "512Mi"
            }
          }
        }
      }
    }
  }
}
