locals {
  now = timestamp()
  later = timeadd(local.now, "24h")
  stamp = formatdate("YYYY-MM-DD", local.now)
  uuid = uuid()
}
