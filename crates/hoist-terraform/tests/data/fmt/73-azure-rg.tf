resource "azurerm_resource_group" "rg" {
  name = "platform-${var.environment}"
  location = "westeurope"
  tags = local.tags
}

resource "azurerm_storage_account" "sa" {
  name = "platform${var.environment}sa"
  resource_group_name = azurerm_resource_group.rg.name
  location = azurerm_resource_group.rg.location
  account_tier = "Standard"
  account_replication_type = "GRS"
  min_tls_version = "TLS1_2"

  blob_properties {
    versioning_enabled = true
    delete_retention_policy {
      days = 30
    }
  }
}
