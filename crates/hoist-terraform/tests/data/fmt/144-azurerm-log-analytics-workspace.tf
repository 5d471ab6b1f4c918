resource "azurerm_log_analytics_workspace" "r23" {
  # attribute 0
  name = "logs" # set
  # attribute 1
  retention_in_days = 30 # set
  # attribute 2
  sku = "PerGB2018" # set
}
