#!/usr/bin/env python3
"""Writes the Terraform benchmark corpus: FILES files of about 11 resources each (S3 buckets
with their companions, instances, security groups and rules, RDS, IAM policies, CloudTrail,
KMS, listeners, Linode firewalls and instances), every third one weakened in some way, so
that every rule has work. Deterministic: the same arguments give the same files.

Usage: bench/terraform-corpus.py DIR [FILES]
"""
import os
import random
import sys

out = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
rng = random.Random(7420)
os.makedirs(out, exist_ok=True)

def bucket(n, weak):
    acl = '"public-read"' if weak else '"private"'
    text = f'''resource "aws_s3_bucket" "b{n}" {{
  bucket = "bench-{n}"
  acl    = {acl}
}}
'''
    if not weak:
        text += f'''
resource "aws_s3_bucket_public_access_block" "b{n}" {{
  bucket                  = aws_s3_bucket.b{n}.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "b{n}" {{
  bucket = aws_s3_bucket.b{n}.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm = "aws:kms"
    }}
  }}
}}
'''
    return text

def instance(n, weak):
    tokens = '"optional"' if weak else '"required"'
    enc = "false" if weak else "true"
    return f'''
resource "aws_instance" "i{n}" {{
  ami           = "ami-{n:08x}"
  instance_type = "t3.micro"
  root_block_device {{
    encrypted = {enc}
  }}
  metadata_options {{
    http_tokens = {tokens}
  }}
  tags = {{
    Name = "i{n}"
  }}
}}
'''

def group(n, weak):
    cidr = '"0.0.0.0/0"' if weak else '"10.0.0.0/8"'
    port = rng.choice([22, 443, 3389, 8080])
    return f'''
resource "aws_security_group" "g{n}" {{
  name        = "g{n}"
  description = "group {n}"
  ingress {{
    description = "service"
    from_port   = {port}
    to_port     = {port}
    protocol    = "tcp"
    cidr_blocks = [{cidr}]
  }}
  egress {{
    description = "out"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["10.0.0.0/8"]
  }}
}}
'''

def database(n, weak):
    public = "true" if weak else "false"
    return f'''
resource "aws_db_instance" "d{n}" {{
  engine                  = "postgres"
  instance_class          = "db.t3.micro"
  storage_encrypted       = {"false" if weak else "true"}
  publicly_accessible     = {public}
  backup_retention_period = {0 if weak else 7}
}}
'''

def policy(n, weak):
    action = '"*"' if weak else '["s3:GetObject"]'
    return f'''
resource "aws_iam_policy" "p{n}" {{
  name = "p{n}"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect   = "Allow"
      Action   = {action}
      Resource = "arn:aws:s3:::bench-{n}/*"
    }}]
  }})
}}
'''

def audit(n, weak):
    flag = "false" if weak else "true"
    return f'''
resource "aws_kms_key" "k{n}" {{
  description         = "k{n}"
  enable_key_rotation = {flag}
}}

resource "aws_cloudtrail" "t{n}" {{
  name                       = "t{n}"
  s3_bucket_name             = "bench-{n}"
  enable_log_file_validation = {flag}
  is_multi_region_trail      = true
  kms_key_id                 = aws_kms_key.k{n}.arn
}}
'''

def listener(n, weak):
    if weak:
        return f'''
resource "aws_lb_listener" "l{n}" {{
  load_balancer_arn = "arn:aws:elasticloadbalancing:lb/{n}"
  port              = 80
  protocol          = "HTTP"
  default_action {{
    type             = "forward"
    target_group_arn = "tg-{n}"
  }}
}}
'''
    return f'''
resource "aws_lb_listener" "l{n}" {{
  load_balancer_arn = "arn:aws:elasticloadbalancing:lb/{n}"
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  default_action {{
    type             = "forward"
    target_group_arn = "tg-{n}"
  }}
}}
'''

def linode(n, weak):
    return f'''
resource "linode_instance" "n{n}" {{
  label  = "n{n}"
  region = "eu-central"
  type   = "g6-nanode-1"
}}

resource "linode_firewall" "f{n}" {{
  label           = "f{n}"
  inbound_policy  = "{"ACCEPT" if weak else "DROP"}"
  outbound_policy = "ACCEPT"
  inbound {{
    label    = "https"
    action   = "ACCEPT"
    protocol = "TCP"
    ports    = "{"22" if weak else "443"}"
    ipv4     = ["0.0.0.0/0"]
  }}
  linodes = [linode_instance.n{n}.id]
}}
'''

parts = [bucket, instance, group, database, policy, audit, listener, linode]
for i in range(count):
    weak = i % 3 == 0
    text = "".join(p(i, weak and rng.random() < 0.7) for p in parts)
    with open(os.path.join(out, f"stack_{i:03}.tf"), "w") as f:
        f.write(text)
