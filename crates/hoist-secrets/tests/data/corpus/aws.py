import boto3

# Credentials for the metrics bucket (planted fake values)
AWS_ACCESS_KEY_ID = "AKIA64CFSUOSG2WPIZZX"
AWS_SECRET_ACCESS_KEY = "VA+jEnTYGUHe1Ldw6RxrrBR7RZ53l3a+rfzk1J+o"
session = boto3.Session(aws_access_key_id="ASIA63UZGRSQLVQKNWNN")
