resource	"aws_instance"	"tabbed" {
	ami	=	"ami-1"
	instance_type =		"t3.micro"
	tags = {
		Name = "tabbed"
	}
}
