resource "kubernetes_namespace" "ns" {
  for_each = toset(["platform", "monitoring", "argocd"])
  metadata {
    name = each.key
    labels = {
      "app.kubernetes.io/managed-by" = "terraform"
      "pod-security.kubernetes.io/enforce" = "restricted"
    }
  }
}

resource "kubernetes_secret" "registry" {
  metadata {
    name = "registry"
    namespace = kubernetes_namespace.ns["platform"].metadata[0].name
  }
  type = "kubernetes.io/dockerconfigjson"
  data = {
    ".dockerconfigjson" = jsonencode({
      auths = {
        (var.registry) = {
          auth = base64encode("${var.registry_user}:${var.registry_password}")
        }
      }
    })
  }
}
