<?php
$twilio = "SK306eba094f972586f79408a95e085d96";
$sendgrid = "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";
$mailgun = "key-cd246b41db8ce53e4f249d7af3f893e8";
