resource "aws_iam_openid_connect_provider" "github" {
  url = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}

data "aws_iam_policy_document" "gha_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }
    condition {
      test = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values = ["repo:acme/platform:ref:refs/heads/main", "repo:acme/platform:environment:*"]
    }
  }
}

resource "aws_iam_role" "gha" {
  name = "github-actions"
  assume_role_policy = data.aws_iam_policy_document.gha_trust.json
  max_session_duration = 3600
}
