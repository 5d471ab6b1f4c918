resource "aws_ssm_parameter" "r4" {
      name      =   "/platform/version"
      type      =   "String"
      value      =   var.version
}
