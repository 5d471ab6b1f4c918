locals {
  config = {
    services = {
      api = {
        replicas = 3
        ports = [{ name = "http", port = 80 }, { name = "grpc", port = 9090 }]
        env = { A = "1", B = "2" }
      }
    }
    list_of_lists = [[1, 2], [3, 4]]
  }
}
