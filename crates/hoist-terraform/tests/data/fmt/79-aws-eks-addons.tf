resource "aws_eks_addon" "addons" {
  for_each = {
    coredns = "v1.10.1-eksbuild.1"
    kube-proxy = "v1.28.1-eksbuild.1"
    vpc-cni = "v1.15.0-eksbuild.2"
  }
  cluster_name = aws_eks_cluster.this.name
  addon_name = each.key
  addon_version = each.value
  resolve_conflicts_on_update = "OVERWRITE"
}
