# hoist:allow aws-kms-no-rotation the key is rotated by hand every quarter
resource "aws_kms_key" "manual" {
  description = "rotated by hand"
}

resource "aws_db_instance" "reporting" {
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  storage_encrypted   = true
  publicly_accessible = true #tfsec:ignore:aws-rds-no-public-db-access
}

#trivy:ignore:AVD-AWS-0026
resource "aws_ebs_volume" "scratch" {
  availability_zone = "eu-west-1a"
  size              = 10
}
