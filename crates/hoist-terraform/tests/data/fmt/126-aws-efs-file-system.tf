resource "aws_efs_file_system" "r5" {
  # attribute 0
  creation_token = "shared" # set
  # attribute 1
  encrypted = true # set
  # attribute 2
  performance_mode = "generalPurpose" # set
}
