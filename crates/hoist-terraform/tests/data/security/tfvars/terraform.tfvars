public = true
