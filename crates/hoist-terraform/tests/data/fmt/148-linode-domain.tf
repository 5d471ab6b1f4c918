resource "linode_domain" "r27" {
  domain="example.com"
  type="master"
  soa_email="ops@example.com"
}
