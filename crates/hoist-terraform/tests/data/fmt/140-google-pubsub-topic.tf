resource "google_pubsub_topic" "r19" {
      name      =   "events"
      message_retention_duration      =   "86600s"
}
