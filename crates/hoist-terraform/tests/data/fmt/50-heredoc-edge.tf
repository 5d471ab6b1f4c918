locals {
  empty = <<EOT
EOT
  trailing = <<EOT
spaces at the end   
EOT
  indented = <<-EOT
      deeper
    shallower
  EOT
  in_call = join("\n", [<<EOT
one
EOT
  , "two"])
}
