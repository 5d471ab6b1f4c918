resource "aws_lb_listener_rule" "r" {
  listener_arn = var.arn
  dynamic "condition" {
    for_each = var.conditions
    content {
      dynamic "path_pattern" {
        for_each = condition.value.paths
        content {
          values = path_pattern.value
        }
      }
    }
  }
}
