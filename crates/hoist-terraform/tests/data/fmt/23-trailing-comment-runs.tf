locals {
  a = 1 # one
  bbbbbbb = 2 # two
  c = "three" # three

  d = 4 # four
  eeeeeeeeee = 5
  f = 6 # six
}
