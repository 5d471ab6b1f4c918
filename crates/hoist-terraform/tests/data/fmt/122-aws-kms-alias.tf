resource "aws_kms_alias" "r1" {
      name      =   "alias/platform"
      target_key_id      =   aws_kms_key.k.key_id
}
