resource "aws_config_configuration_recorder" "r13" {
      name      =   "recorder"
      role_arn      =   aws_iam_role.config.arn
}
