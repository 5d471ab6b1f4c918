variable "public" {
  type    = bool
  default = false
}

resource "aws_db_instance" "db" {
  engine                  = "postgres"
  instance_class          = "db.t3.micro"
  storage_encrypted       = true
  backup_retention_period = 7
  publicly_accessible     = var.public
}
