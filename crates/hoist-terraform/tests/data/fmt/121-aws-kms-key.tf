resource "aws_kms_key" "r0" {
  description="key"
  deletion_window_in_days=10
  enable_key_rotation=true
}
