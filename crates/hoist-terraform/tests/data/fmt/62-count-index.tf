resource "aws_eip" "ip" {
  count = var.enabled ? length(var.instances) : 0
  instance = var.instances[count.index]
  vpc = true
  tags = {
    Name = "eip-${count.index + 1}"
  }
}
