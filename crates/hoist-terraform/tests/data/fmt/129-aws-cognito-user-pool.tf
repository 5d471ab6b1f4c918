resource "aws_cognito_user_pool" "r8" {
  # attribute 0
  name = "users" # set
  # attribute 1
  mfa_configuration = "OPTIONAL" # set
}
