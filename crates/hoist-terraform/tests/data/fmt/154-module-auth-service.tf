module "auth_service" {
   source = "../../modules/service"
   name="auth-service"
  image = "registry.example.com/platform/auth-service:${var.tag}"
  replicas = var.environment == "production" ? 2 : 1
  port = 8083
  env = {
    SERVICE_NAME = "auth-service"
    LOG_LEVEL = var.log_level
     OTEL_EXPORTER = "http://otel-collector:4317"
  }
  depends_on = [module.network]
}
