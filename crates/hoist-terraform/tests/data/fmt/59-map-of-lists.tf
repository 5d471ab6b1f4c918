locals {
  by_env = {
    dev = ["t3.micro"]
    staging = ["t3.small", "t3.medium"]
    production = [
      "m5.large",
      "m5.xlarge",
    ]
  }
}
