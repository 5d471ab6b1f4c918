resource "linode_database_postgresql" "db" {
  label = "platform-${var.environment}"
  engine_id = "postgresql/15"
  region = var.region
  type = "g6-dedicated-2"
  cluster_size = var.environment == "production" ? 3 : 1
  encrypted = true
  ssl_connection = true
  allow_list = var.db_allow_list

  updates {
    day_of_week = "sunday"
    duration = 1
    frequency = "weekly"
    hour_of_day = 3
  }
}
