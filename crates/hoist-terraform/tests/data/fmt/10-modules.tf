module "network" {
  source = "./modules/network"
  cidr = var.cidr
  azs = var.azs
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "19.0.0"

  cluster_name = "platform-${var.environment}"
  subnet_ids = module.network.private_subnet_ids
  eks_managed_node_groups = {
    default = {
      min_size = 1
      max_size = 3
      instance_types = ["t3.large"]
    }
  }
}

output "cluster_endpoint" {
  value = module.eks.cluster_endpoint
  sensitive = true
}
