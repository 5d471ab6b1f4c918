data "aws_caller_identity" "current" {}

resource "null_resource" "a" {}

resource "null_resource" "b" {

}

locals {}
