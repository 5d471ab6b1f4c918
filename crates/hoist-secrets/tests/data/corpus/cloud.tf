provider "digitalocean" {
  token = "dop_v1_67fd3ca5759bb55392437b07790226acaeaf5bb1952153c76cff875d116e923f"
}
variable "linode_token" {
  default = "b7dabe18386d88d61baf08e297f1e5d472cb4a351d27c0157a6acf801978c470"
}
