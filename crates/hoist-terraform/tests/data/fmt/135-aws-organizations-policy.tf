resource "aws_organizations_policy" "r14" {
  # attribute 0
  name = "deny-regions" # set
  # attribute 1
  type = "SERVICE_CONTROL_POLICY" # set
}
