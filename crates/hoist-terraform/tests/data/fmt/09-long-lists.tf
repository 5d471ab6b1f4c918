locals {
  regions = [
    "eu-west-1",
    "eu-central-1",
      "us-east-1",
  "us-west-2",
  ]
  matrix = {
    api = { cpu = 256, memory = 512 }
    worker = {
      cpu = 1024
      memory = 2048
      env = {
        LOG_LEVEL = "info"
        QUEUE = "jobs"
      }
    }
  }
  empty_map = {}
  empty_list = []
  one_line = { a = 1, b = 2 }
}
