resource "aws_codebuild_project" "r10" {
      name      =   "build"
      service_role      =   aws_iam_role.build.arn
      build_timeout      =   30
}
