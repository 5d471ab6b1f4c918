locals {
  name = "${var.project}"
  full = "${var.project}-${var.environment}"
  region   =   "${data.aws_region.current.name}"
  padded = "${ var.padded }"
  nested = "${lookup(var.map, "key", "default")}"
  literal = "plain"
  expr = "${var.a == "x" ? "yes" : "no"}"
}

resource "aws_s3_bucket" "b" {
  bucket = "${local.name}"
  acl    = "private"
}
