module "ingest" {
source = "../../modules/service"
name="ingest"
  image = "registry.example.com/platform/ingest:${var.tag}"
  replicas = var.environment == "production" ? 4 : 1
  port = 8088
  env = {
    SERVICE_NAME = "ingest"
    LOG_LEVEL = var.log_level
  OTEL_EXPORTER = "http://otel-collector:4317"
  }
  depends_on = [module.network]
}
