locals {
  upper = upper(var.name)
  trimmed = trimspace("  x  ")
  replaced = replace(var.name, "-", "_")
  parts = split(",", var.csv)
  joined = join("/", ["a", "b", "c"])
  formatted = format("%-10s|%5d", var.name, var.count)
  padded = formatlist("%s.%s", var.hosts, var.domain)
  sub = substr(var.sha, 0, 7)
  re = regex("^v([0-9]+)", var.tag)
}
