resource "aws_msk_cluster" "r7" {
      cluster_name      =   "events"
      kafka_version      =   "3.5.1"
      number_of_broker_nodes      =   3
}
