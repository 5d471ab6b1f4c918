resource "cloudflare_record" "api" {
  zone_id = var.zone_id
  name = "api"
  value = linode_nodebalancer.api.ipv4
  type = "A"
  proxied = true
  ttl = 1
}

resource "cloudflare_page_rule" "https" {
  zone_id = var.zone_id
  target = "http://*.${var.domain}/*"
  priority = 1
  actions {
    always_use_https = true
  }
}
