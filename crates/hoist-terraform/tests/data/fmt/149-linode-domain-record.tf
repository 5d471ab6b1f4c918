resource "linode_domain_record" "r28" {
      domain_id      =   linode_domain.d.id
      name      =   "www"
      record_type      =   "A"
      target      =   "203.0.113.10"
}
