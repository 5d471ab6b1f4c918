resource "azurerm_key_vault" "r20" {
  # attribute 0
  name = "platform-kv" # set
  # attribute 1
  location = var.location # set
  # attribute 2
  resource_group_name = var.rg # set
  # attribute 3
  sku_name = "standard" # set
}
