resource "aws_secretsmanager_secret" "db" {
  name = "platform/${var.environment}/db"
  recovery_window_in_days = 7
  kms_key_id = aws_kms_key.secrets.arn
}

resource "aws_secretsmanager_secret_version" "db" {
  secret_id = aws_secretsmanager_secret.db.id
  secret_string = jsonencode({
    username = "platform"
    password = random_password.db.result
    host = aws_db_instance.db.address
  })
}
