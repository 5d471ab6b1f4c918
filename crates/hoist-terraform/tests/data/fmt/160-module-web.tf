module "web" {
 source = "../../modules/service"
 name="web"
  image = "registry.example.com/platform/web:${var.tag}"
  replicas = var.environment == "production" ? 2 : 1
  port = 8089
  env = {
    SERVICE_NAME = "web"
    LOG_LEVEL = var.log_level
   OTEL_EXPORTER = "http://otel-collector:4317"
  }
  depends_on = [module.network]
}
