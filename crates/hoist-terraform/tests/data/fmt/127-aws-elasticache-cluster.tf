resource "aws_elasticache_cluster" "r6" {
  cluster_id="cache"
  engine="redis"
  node_type="cache.t3.micro"
  num_cache_nodes=1
}
