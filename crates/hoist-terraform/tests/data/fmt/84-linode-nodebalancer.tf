resource "linode_nodebalancer" "api" {
  label = "api-${var.environment}"
  region = var.region
  client_conn_throttle = 20
}

resource "linode_nodebalancer_config" "https" {
  nodebalancer_id = linode_nodebalancer.api.id
  port = 443
  protocol = "https"
  check = "http"
  check_path = "/healthz"
  ssl_cert = file(var.cert_path)
  ssl_key = file(var.key_path)
  algorithm = "roundrobin"
}

resource "linode_nodebalancer_node" "nodes" {
  count = length(var.node_ips)
  nodebalancer_id = linode_nodebalancer.api.id
  config_id = linode_nodebalancer_config.https.id
  address = "${var.node_ips[count.index]}:8080"
  label = "node-${count.index}"
}
