module "billing_service" {
 source = "../../modules/service"
 name="billing-service"
  image = "registry.example.com/platform/billing-service:${var.tag}"
  replicas = var.environment == "production" ? 3 : 1
  port = 8081
  env = {
    SERVICE_NAME = "billing-service"
    LOG_LEVEL = var.log_level
   OTEL_EXPORTER = "http://otel-collector:4317"
  }
  depends_on = [module.network]
}
