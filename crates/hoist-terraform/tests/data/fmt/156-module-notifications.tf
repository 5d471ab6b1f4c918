module "notifications" {
 source = "../../modules/service"
 name="notifications"
  image = "registry.example.com/platform/notifications:${var.tag}"
  replicas = var.environment == "production" ? 4 : 1
  port = 8085
  env = {
    SERVICE_NAME = "notifications"
    LOG_LEVEL = var.log_level
   OTEL_EXPORTER = "http://otel-collector:4317"
  }
  depends_on = [module.network]
}
