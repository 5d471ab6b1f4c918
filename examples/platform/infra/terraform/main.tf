# Object storage for build metrics, as in the platform's architecture document.
resource "linode_object_storage_bucket" "build_metrics" {
  cluster = "us-east-1"
  label   = "ai-aas-build-metrics"
}
