resource "aws_db_instance" "db" {
  allocated_storage = 20
  engine = "postgres"
  engine_version = "15.3"
  instance_class = "db.t3.micro"

  username = "admin"
  password = var.db_password
  skip_final_snapshot = true
  a = 1
  bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb = 2
  c = {
    d = 3
  }
  e = 4
}
