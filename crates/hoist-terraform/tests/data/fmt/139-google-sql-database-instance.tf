resource "google_sql_database_instance" "r18" {
  name="db"
  database_version="POSTGRES_15"
  region=var.region
}
