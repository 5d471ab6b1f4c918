resource "google_service_account" "r16" {
      account_id      =   "ci"
      display_name      =   "CI"
}
