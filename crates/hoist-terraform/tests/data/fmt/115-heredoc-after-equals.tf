locals {
  a   =   <<EOT
kept as is
EOT
  bb = 1
}
