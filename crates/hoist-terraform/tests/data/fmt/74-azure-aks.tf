resource "azurerm_kubernetes_cluster" "aks" {
  name = "platform"
  location = var.location
  resource_group_name = var.rg
  dns_prefix = "platform"

  default_node_pool {
    name = "system"
    node_count = 3
    vm_size = "Standard_D4s_v5"
    enable_auto_scaling = true
    min_count = 3
    max_count = 6
  }

  identity {
    type = "SystemAssigned"
  }

  network_profile {
    network_plugin = "azure"
    network_policy = "calico"
  }
}
