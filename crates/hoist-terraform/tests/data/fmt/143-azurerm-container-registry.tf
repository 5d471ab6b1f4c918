resource "azurerm_container_registry" "r22" {
      name      =   "platformacr"
      sku      =   "Premium"
      admin_enabled      =   false
}
