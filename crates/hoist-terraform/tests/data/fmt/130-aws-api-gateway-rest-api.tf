resource "aws_api_gateway_rest_api" "r9" {
  name="api"
  description="Public API"
}
