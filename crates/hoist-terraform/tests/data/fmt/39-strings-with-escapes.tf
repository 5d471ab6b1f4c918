locals {
  quote = "say \"hi\""
  backslash = "C:\\path"
  newline = "a\nb"
  tab = "a\tb"
  unicode = "\u00e9"
  dollar_brace = "$${literal}"
}
