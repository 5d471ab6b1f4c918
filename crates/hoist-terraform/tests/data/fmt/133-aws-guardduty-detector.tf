resource "aws_guardduty_detector" "r12" {
  enable=true
  finding_publishing_frequency="FIFTEEN_MINUTES"
}
