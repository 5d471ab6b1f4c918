resource "google_project_iam_member" "r17" {
  # attribute 0
  project = var.project # set
  # attribute 1
  role = "roles/viewer" # set
  # attribute 2
  member = "serviceAccount:${google_service_account.ci.email}" # set
}
