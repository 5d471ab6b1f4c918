resource "aws_instance" "x" {
  ami = var.ami
  lifecycle {
    precondition {
      condition = data.aws_ami.x.architecture == "x86_64"
      error_message = "The AMI must be x86_64."
    }
    postcondition {
      condition     = self.public_dns != ""
      error_message = "No public DNS."
    }
  }
}
