resource "aws_iam_policy" "p" {
  name = "p"
  policy = <<EOF
{
    "Version": "2012-10-17",
      "Statement": [{ "Effect": "Allow", "Action": "s3:*", "Resource": "${aws_s3_bucket.b.arn}" }]
}
EOF
}

resource "aws_instance" "web" {
    user_data = <<-EOT
      #!/bin/bash
      echo "hello ${var.name}"
        indented   line
    EOT
    ami = "ami-123"
}
