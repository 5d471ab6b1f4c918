locals {
  environment = terraform.workspace
  is_production = local.environment == "production"
  name_prefix = "platform-${local.environment}"
  common_tags = {
    Project = "platform"
    Environment = local.environment
    ManagedBy = "terraform"
    CostCenter = var.cost_center
  }
  services = {
    api-router-service = { port = 8080, replicas = local.is_production ? 3 : 1 }
    billing-service = { port = 8081, replicas = 2 }
    model-gateway = { port = 8082, replicas = local.is_production ? 4 : 1 }
  }
  service_names = keys(local.services)
  ports = [for s in values(local.services) : s.port]
}
