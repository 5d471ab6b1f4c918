output "out_0" {
  value = var.setting_0
  description = "Output 0"
}

output "out_1" {
  value = "literal-1"
  description = "Output 1"
}

output "out_2" {
  value = local.x[2]
  description = "Output 2"
}

output "out_3" {
  value = { index = 3 }
  description = "Output 3"
}

output "out_4" {
  value = var.setting_4
  description = "Output 4"
}

output "out_5" {
  value = "literal-5"
  description = "Output 5"
}

output "out_6" {
  value = local.x[6]
  description = "Output 6"
}

output "out_7" {
  value = { index = 7 }
  description = "Output 7"
}

output "out_8" {
  value = var.setting_8
  description = "Output 8"
}

output "out_9" {
  value = "literal-9"
  description = "Output 9"
}

output "out_10" {
  value = local.x[10]
  description = "Output 10"
}

output "out_11" {
  value = { index = 11 }
  description = "Output 11"
}

output "out_12" {
  value = var.setting_12
  description = "Output 12"
}

output "out_13" {
  value = "literal-13"
  description = "Output 13"
}

output "out_14" {
  value = local.x[14]
  description = "Output 14"
}

output "out_15" {
  value = { index = 15 }
  description = "Output 15"
}
