resource "aws_instance" "a" {
  ami = "x"
  tags = {
    Name = "a"
  }
  instance_type = "t3.micro"
  monitoring = true
}
