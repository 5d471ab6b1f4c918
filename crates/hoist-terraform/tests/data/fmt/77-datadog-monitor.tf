resource "datadog_monitor" "latency" {
  name = "API latency high"
  type = "metric alert"
  message = <<-EOT
    p99 latency above threshold on {{host.name}}.
    @pagerduty-platform
  EOT
  query = "avg(last_5m):p99:trace.http.request.duration{service:api-router} > 0.5"

  monitor_thresholds {
    critical = 0.5
    warning = 0.3
  }

  tags = ["team:platform", "env:${var.environment}"]
}
