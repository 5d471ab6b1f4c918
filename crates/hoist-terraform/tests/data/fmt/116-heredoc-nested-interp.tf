resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = <<-POLICY
    {
      "Statement": [{
        "Principal": { "Service": "${var.service}.amazonaws.com" },
        "Action": "sts:AssumeRole",
        "Effect": "Allow"
      }]
    }
  POLICY
}
