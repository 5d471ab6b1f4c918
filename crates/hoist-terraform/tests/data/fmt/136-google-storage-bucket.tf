resource "google_storage_bucket" "r15" {
  name="platform-artifacts"
  location="EU"
  uniform_bucket_level_access=true
}
