locals {
  name = "platform-${var.environment}"
  tags = ["platform", var.environment]
}

module "cluster" {
  source      = "./modules/lke"
  name        = local.name
  region      = var.region
  node_count  = var.node_count
  admin_cidrs = var.admin_cidrs
  tags        = local.tags
}

module "storage" {
  source      = "./modules/storage"
  name        = local.name
  environment = var.environment
}
