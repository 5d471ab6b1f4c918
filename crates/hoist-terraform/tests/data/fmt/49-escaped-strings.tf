locals {
  a = "she said \"${var.word}\" twice"
  b = "tab\there"
  c = "line\nbreak"
  d = "back\\slash ${var.path}"
  e = "unicode \u00e9 \U0001F600"
}
