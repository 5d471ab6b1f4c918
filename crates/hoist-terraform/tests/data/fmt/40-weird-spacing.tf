resource   "aws_instance"    "x"    {
ami="a"
    instance_type   =   "t3.micro"
          tags={Name="x",Env="y"}
   }
