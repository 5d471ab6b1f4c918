data "archive_file" "zip" {
  type = "zip"
  source_dir = "${path.module}/src"
  output_path = "${path.module}/build/fn.zip"
}

resource "aws_lambda_function" "fn" {
  function_name = "metrics-ingest"
  role = aws_iam_role.fn.arn
  handler = "main.handler"
  runtime = "python3.12"
  filename = data.archive_file.zip.output_path
  source_code_hash = data.archive_file.zip.output_base64sha256
  timeout = 30
  memory_size = 256

  environment {
    variables = {
      BUCKET = aws_s3_bucket.metrics.bucket
      LOG_LEVEL = "INFO"
    }
  }
}
