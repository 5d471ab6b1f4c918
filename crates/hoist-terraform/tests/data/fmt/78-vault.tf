resource "vault_mount" "kv" {
  path = "secret"
  type = "kv-v2"
  description = "Application secrets"
}

resource "vault_policy" "ci" {
  name = "ci"
  policy = <<EOT
path "secret/data/ci/*" {
  capabilities = ["read"]
}
EOT
}

resource "vault_jwt_auth_backend_role" "gha" {
  backend = "jwt"
  role_name = "github-actions"
  token_policies = [vault_policy.ci.name]
  bound_claims = {
    repository = "acme/platform"
  }
  user_claim = "actor"
  role_type = "jwt"
}
