locals {
  short = 1
  list = [
    1,
  ]
  much_longer_name = 2
  x = 3
}
