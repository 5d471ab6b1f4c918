resource "aws_route53_zone" "main" {
  name = var.domain
}

resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.main.zone_id
  name = "www.${var.domain}"
  type = "A"

  alias {
    name = aws_lb.web.dns_name
    zone_id = aws_lb.web.zone_id
    evaluate_target_health = true
  }
}
