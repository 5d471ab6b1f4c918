resource "aws_s3_bucket" "b" {
  bucket = "b" # name
  force_destroy = false # keep it
  tags = {} # none yet
}
