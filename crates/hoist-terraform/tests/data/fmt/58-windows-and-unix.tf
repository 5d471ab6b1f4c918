locals {
  a = 1
  bb = 2
}

resource "x" "y" {
  z = [
    1,
  ]
}
