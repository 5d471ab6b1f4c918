resource "github_repository" "platform" {
  name = "platform"
  visibility = "private"
  has_issues = true
  delete_branch_on_merge = true
  vulnerability_alerts = true
}

resource "github_branch_protection" "main" {
  repository_id = github_repository.platform.node_id
  pattern = "main"
  enforce_admins = true

  required_status_checks {
    strict = true
    contexts = ["CI / build", "CI / test", "Security Scans"]
  }

  required_pull_request_reviews {
    required_approving_review_count = 1
    dismiss_stale_reviews = true
  }
}
