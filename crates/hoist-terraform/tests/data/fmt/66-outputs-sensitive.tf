output "db_password" {
  value = random_password.db.result
  sensitive = true
  description = "The generated password"
  depends_on = [random_password.db]
}

output "endpoints" {
  value = {
    for name, svc in module.services : name => svc.endpoint
  }
}
