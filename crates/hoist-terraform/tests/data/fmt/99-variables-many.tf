variable "setting_0" {
  type = string
  description = "Setting number 0"
  default = "value"
}

variable "setting_1" {
  type = number
  description = "Setting number 1"
  default = 1
}

variable "setting_2" {
  type = bool
  description = "Setting number 2"
  default = true
}

variable "setting_3" {
  type = list(string)
  description = "Setting number 3"
  default = ["a", "b"]
}

variable "setting_4" {
  type = map(number)
  description = "Setting number 4"
  default = { a = 1 }
}

variable "setting_5" {
  type = string
  description = "Setting number 5"
  default = "value"
}

variable "setting_6" {
  type = number
  description = "Setting number 6"
  default = 6
}

variable "setting_7" {
  type = bool
  description = "Setting number 7"
  default = true
}

variable "setting_8" {
  type = list(string)
  description = "Setting number 8"
  default = ["a", "b"]
}

variable "setting_9" {
  type = map(number)
  description = "Setting number 9"
  default = { a = 1 }
}

variable "setting_10" {
  type = string
  description = "Setting number 10"
  default = "value"
}

variable "setting_11" {
  type = number
  description = "Setting number 11"
  default = 11
}

variable "setting_12" {
  type = bool
  description = "Setting number 12"
  default = true
}

variable "setting_13" {
  type = list(string)
  description = "Setting number 13"
  default = ["a", "b"]
}

variable "setting_14" {
  type = map(number)
  description = "Setting number 14"
  default = { a = 1 }
}

variable "setting_15" {
  type = string
  description = "Setting number 15"
  default = "value"
}

variable "setting_16" {
  type = number
  description = "Setting number 16"
  default = 16
}

variable "setting_17" {
  type = bool
  description = "Setting number 17"
  default = true
}

variable "setting_18" {
  type = list(string)
  description = "Setting number 18"
  default = ["a", "b"]
}

variable "setting_19" {
  type = map(number)
  description = "Setting number 19"
  default = { a = 1 }
}
