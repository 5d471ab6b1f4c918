resource "azurerm_virtual_network" "r21" {
  name="vnet"
  address_space=["10.1.0.0/16"]
  location=var.location
  resource_group_name=var.rg
}
