resource "kubernetes_service_account" "r25" {
      metadata { name      =   "app" }
      automount_service_account_token      =   false
}
