module "reporting" {
  source = "../../modules/service"
  name="reporting"
  image = "registry.example.com/platform/reporting:${var.tag}"
  replicas = var.environment == "production" ? 2 : 1
  port = 8086
  env = {
    SERVICE_NAME = "reporting"
    LOG_LEVEL = var.log_level
    OTEL_EXPORTER = "http://otel-collector:4317"
  }
  depends_on = [module.network]
}
