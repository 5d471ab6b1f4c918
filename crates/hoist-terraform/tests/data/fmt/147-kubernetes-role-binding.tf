resource "kubernetes_role_binding" "r26" {
  # attribute 0
  metadata { name = "rb" } # set
}
