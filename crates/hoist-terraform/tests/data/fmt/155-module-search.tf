module "search" {
source = "../../modules/service"
name="search"
  image = "registry.example.com/platform/search:${var.tag}"
  replicas = var.environment == "production" ? 3 : 1
  port = 8084
  env = {
    SERVICE_NAME = "search"
    LOG_LEVEL = var.log_level
  OTEL_EXPORTER = "http://otel-collector:4317"
  }
  depends_on = [module.network]
}
