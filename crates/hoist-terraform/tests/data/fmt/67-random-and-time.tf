resource "random_password" "db" {
  length = 32
  special = true
  override_special = "!#$%&*()-_=+[]{}<>:?"
}

resource "time_rotating" "rotate" {
  rotation_days = 30
}

resource "random_id" "suffix" {
  byte_length = 4
  keepers = {
    rotation = time_rotating.rotate.id
  }
}
