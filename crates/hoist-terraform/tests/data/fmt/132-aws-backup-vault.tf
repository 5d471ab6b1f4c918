resource "aws_backup_vault" "r11" {
  # attribute 0
  name = "vault" # set
  # attribute 1
  kms_key_arn = aws_kms_key.k.arn # set
}
