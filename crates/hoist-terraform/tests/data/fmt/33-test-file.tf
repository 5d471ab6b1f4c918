run "plan" {
  command = plan
  variables {
    environment = "test"
  }
  assert {
    condition = aws_instance.web.instance_type == "t3.micro"
    error_message = "wrong size"
  }
}
