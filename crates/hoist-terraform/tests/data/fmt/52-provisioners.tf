resource "null_resource" "setup" {
  triggers = {
    version = var.version
  }

  connection {
    type = "ssh"
    host = self.public_ip
    user = "ubuntu"
    private_key = file("~/.ssh/id_rsa")
  }

  provisioner "remote-exec" {
    inline = [
      "sudo apt-get update",
      "sudo apt-get install -y nginx",
    ]
  }

  provisioner "file" {
    content = templatefile("${path.module}/nginx.conf.tpl", { port = var.port })
    destination = "/tmp/nginx.conf"
  }
}
