services = {
  api = {
    image = "registry/api:1.2.3"
    env = { LOG = "debug" }
  }
  worker={image="registry/worker:1.0.0",env={}}
}
cidrs=["10.0.0.0/16"]
