locals {
  list = [
    "a", # first
    "b",
    # between
    "c", // last
  ]
  call = merge(
    # defaults
    var.defaults,
    var.overrides, # wins
  )
}
