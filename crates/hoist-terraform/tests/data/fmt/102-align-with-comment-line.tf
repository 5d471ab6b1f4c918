locals {
  a = 1
  # this comment line ends the run
  bbbb = 2
  cc = 3
}
