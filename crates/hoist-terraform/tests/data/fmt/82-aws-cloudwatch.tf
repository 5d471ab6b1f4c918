resource "aws_cloudwatch_metric_alarm" "cpu" {
  alarm_name = "high-cpu-${var.name}"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods = 2
  metric_name = "CPUUtilization"
  namespace = "AWS/EC2"
  period = 120
  statistic = "Average"
  threshold = 80
  alarm_actions = [aws_sns_topic.alerts.arn]
  dimensions = {
    InstanceId = aws_instance.web.id
  }
}

resource "aws_cloudwatch_log_group" "app" {
  name = "/platform/${var.name}"
  retention_in_days = 30
  kms_key_id = aws_kms_key.logs.arn
}
