resource "aws_instance" "app" {
  for_each = toset(var.names)
  ami = data.aws_ami.ubuntu.id
  instance_type = each.value == "big" ? "m5.large" : "t3.micro"

  lifecycle {
    create_before_destroy = true
    ignore_changes = [tags, ami]
    prevent_destroy = false
  }

  provisioner "local-exec" {
    command = "echo ${self.private_ip} >> ips.txt"
    when = destroy
  }

  depends_on = [aws_security_group.sg]
}
