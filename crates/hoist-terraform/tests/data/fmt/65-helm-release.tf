resource "helm_release" "argo" {
  name = "argo-cd"
  repository = "https://argoproj.github.io/argo-helm"
  chart = "argo-cd"
  version = "5.51.0"
  namespace = "argocd"
  create_namespace = true

  values = [
    yamlencode({
      server = {
        replicas = 2
      }
    })
  ]

  set {
    name = "configs.params.server\\.insecure"
    value = "true"
  }
}
