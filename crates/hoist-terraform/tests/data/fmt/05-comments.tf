# A file-level comment
// Another style

/* A block
   comment */
resource "aws_instance" "a" { # after the brace
  ami = "ami-1" # the image
  instance_type = "t3.micro"   // the size
  # a comment line inside
  monitoring = true /* inline block */

  tags = { # map opens
    a = "b" # trailing
    long_key_name = "c"
  }
}

/* trailing */
