resource "aws_wafv2_web_acl" "api" {
  name = "api"
  scope = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name = "rate-limit"
    priority = 1
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit = 2000
        aggregate_key_type = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name = "rate-limit"
      sampled_requests_enabled = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name = "api"
    sampled_requests_enabled = true
  }
}
