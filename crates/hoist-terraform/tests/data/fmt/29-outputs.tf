output "a" {
  value = aws_instance.web.public_ip
  description = "IP"
}
output "b" {
  value = {
    for k, inst in aws_instance.app : k => inst.id
  }
}
output "c" { value = "${var.x}" }
