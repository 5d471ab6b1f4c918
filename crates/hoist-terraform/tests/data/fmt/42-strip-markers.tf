locals {
  t = <<-EOT
    %{~ for item in var.items ~}
    - ${item}
    %{~ endfor ~}
  EOT
  s = "a %{~ if var.x ~} b %{~ endif ~} c"
}
