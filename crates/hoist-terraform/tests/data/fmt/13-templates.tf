locals {
  directive = "%{ if var.enabled }on%{ else }off%{ endif }"
  loop = <<EOT
%{ for s in var.servers ~}
server ${s}
%{ endfor ~}
EOT
  escaped = "$${not_interp} and %%{not_directive}"
  dollar = "cost: $5"
  obj_interp = "${ {a = 1}.a }"
}
