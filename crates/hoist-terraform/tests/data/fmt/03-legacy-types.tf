variable "a" {
  type = "string"
}

variable "b" {
  type = "list"
  default = []
}

variable "c" {
  type    = "map"
}

variable "d" {
  type = list
}

variable "e" {
  type = map
}

variable "f" {
  type = object({ name = string, size = number })
}
