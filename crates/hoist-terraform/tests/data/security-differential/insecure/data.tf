resource "aws_db_instance" "db" {
  engine                  = "postgres"
  instance_class          = "db.t3.micro"
  publicly_accessible     = true
  backup_retention_period = 0
}

resource "aws_iam_policy" "admin" {
  name = "admin"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = "*"
        Resource = "*"
      },
    ]
  })
}

resource "aws_iam_role_policy" "s3_all" {
  role   = "r"
  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:aws:s3:::${var.bucket}/*" },
    { "Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": "*" },
    { "Effect": "Deny", "Action": "*", "Resource": "*" }
  ]
}
EOF
}

data "aws_iam_policy_document" "doc" {
  statement {
    actions   = ["dynamodb:*"]
    resources = ["arn:aws:dynamodb:*:*:table/t"]
  }
}

resource "aws_cloudtrail" "trail" {
  name           = "trail"
  s3_bucket_name = "logs"
}

resource "aws_kms_key" "key" {
  description = "k"
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = "arn"
  port              = 80
  protocol          = "HTTP"
  default_action {
    type             = "forward"
    target_group_arn = "tg"
  }
}

resource "aws_lb_listener" "old_tls" {
  load_balancer_arn = "arn"
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-2016-08"
  default_action {
    type             = "forward"
    target_group_arn = "tg"
  }
}
