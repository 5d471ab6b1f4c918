moved {
  from = aws_instance.old
  to = aws_instance.new
}

import {
  to = aws_s3_bucket.b
  id = "bucket-name"
}
