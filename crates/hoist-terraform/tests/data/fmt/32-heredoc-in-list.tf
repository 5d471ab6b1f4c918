locals {
  scripts = [
    <<-EOT
      echo one
    EOT
    ,
    "two",
  ]
  json = jsonencode({
    policy = <<EOT
{"a": 1}
EOT
  })
}
