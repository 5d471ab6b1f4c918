locals {
  big = 1e10
  small = 0.5
  neg = [-1, -2.5, - 3]
  exp = 2.5E-3
  mixed = [1,2.0,3e2]
}
