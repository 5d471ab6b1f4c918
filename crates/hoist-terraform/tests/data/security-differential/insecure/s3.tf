resource "aws_s3_bucket" "public" {
  bucket = "public-site"
  acl    = "public-read"
}

resource "aws_s3_bucket_public_access_block" "weak" {
  bucket                  = aws_s3_bucket.public.id
  block_public_acls       = false
  block_public_policy     = true
  ignore_public_acls      = true
}
