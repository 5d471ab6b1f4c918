resource "linode_volume" "r29" {
  # attribute 0
  label = "data" # set
  # attribute 1
  size = 100 # set
  # attribute 2
  region = var.region # set
}
