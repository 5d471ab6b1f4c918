resource "aws_security_group" "x" { name = "x" }
module "m" { source = "./m" }
locals { empty = {} }
