module "model_gateway" {
  source = "../../modules/service"
  name="model-gateway"
  image = "registry.example.com/platform/model-gateway:${var.tag}"
  replicas = var.environment == "production" ? 4 : 1
  port = 8082
  env = {
    SERVICE_NAME = "model-gateway"
    LOG_LEVEL = var.log_level
    OTEL_EXPORTER = "http://otel-collector:4317"
  }
  depends_on = [module.network]
}
