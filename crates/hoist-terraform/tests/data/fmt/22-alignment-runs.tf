locals {
  a = 1
  bb = 2

  ccc = 3
  # a comment breaks nothing? it is a line without an assignment
  dddd = 4
  e = {
    f = 5
  }
  gggggg = 6
  h = [1,
    2]
  iii = 7
}
