motd = <<EOT
Welcome to the platform.
EOT
banner="x"
