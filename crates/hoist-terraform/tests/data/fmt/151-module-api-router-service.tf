module "api_router_service" {
source = "../../modules/service"
name="api-router-service"
  image = "registry.example.com/platform/api-router-service:${var.tag}"
  replicas = var.environment == "production" ? 2 : 1
  port = 8080
  env = {
    SERVICE_NAME = "api-router-service"
    LOG_LEVEL = var.log_level
  OTEL_EXPORTER = "http://otel-collector:4317"
  }
  depends_on = [module.network]
}
