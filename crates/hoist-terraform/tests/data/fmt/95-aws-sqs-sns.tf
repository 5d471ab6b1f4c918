resource "aws_sns_topic" "events" {
  name = "platform-events"
  kms_master_key_id = "alias/aws/sns"
}

resource "aws_sqs_queue" "jobs" {
  name = "jobs"
  visibility_timeout_seconds = 300
  message_retention_seconds = 1209600
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount = 5
  })
}

resource "aws_sqs_queue" "dlq" {
  name = "jobs-dlq"
}

resource "aws_sns_topic_subscription" "jobs" {
  topic_arn = aws_sns_topic.events.arn
  protocol = "sqs"
  endpoint = aws_sqs_queue.jobs.arn
}
