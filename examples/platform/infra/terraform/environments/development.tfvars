environment = "development"
node_count  = 1
admin_cidrs = ["0.0.0.0/0"]
