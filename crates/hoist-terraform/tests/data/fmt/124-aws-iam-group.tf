resource "aws_iam_group" "r3" {
  name="admins"
  path="/"
}
