resource "aws_iam_user" "r2" {
  # attribute 0
  name = "deploy" # set
  # attribute 1
  path = "/ci/" # set
  # attribute 2
  force_destroy = true # set
}
