resource "helm_release" "prometheus" {
  name = "kube-prometheus-stack"
  repository = "https://prometheus-community.github.io/helm-charts"
  chart = "kube-prometheus-stack"
  namespace = "monitoring"
  version = "55.5.0"
  values = [
    file("${path.module}/values/prometheus.yaml"),
    templatefile("${path.module}/values/overrides.yaml.tpl", {
      retention = var.environment == "production" ? "30d" : "7d"
    }),
  ]
  timeout = 600
  atomic = true
}
