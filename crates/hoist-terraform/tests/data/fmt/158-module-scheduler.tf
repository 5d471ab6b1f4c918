module "scheduler" {
   source = "../../modules/service"
   name="scheduler"
  image = "registry.example.com/platform/scheduler:${var.tag}"
  replicas = var.environment == "production" ? 3 : 1
  port = 8087
  env = {
    SERVICE_NAME = "scheduler"
    LOG_LEVEL = var.log_level
     OTEL_EXPORTER = "http://otel-collector:4317"
  }
  depends_on = [module.network]
}
