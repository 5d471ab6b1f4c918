terraform {
  cloud {
    organization = "acme"
    workspaces {
      tags = ["platform", "networking"]
    }
  }
  experiments = [module_variable_optional_attrs]
}
