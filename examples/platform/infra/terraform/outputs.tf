output "cluster_id" {
  value = module.cluster.id
}

output "kubeconfig" {
  value     = module.cluster.kubeconfig
  sensitive = true
}

output "metrics_bucket" {
  value = module.storage.metrics_bucket
}
