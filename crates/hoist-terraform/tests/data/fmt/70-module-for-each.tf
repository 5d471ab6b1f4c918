module "service" {
  for_each = toset(["api-router-service", "billing-service", "model-gateway"])
  source = "./modules/service"
  name = each.key
  image = "registry.example.com/${each.key}:${var.tag}"
  env = merge(local.common_env, lookup(var.service_env, each.key, {}))
}
