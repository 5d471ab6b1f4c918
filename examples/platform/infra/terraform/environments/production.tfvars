environment = "production"
node_count  = 5
admin_cidrs = ["203.0.113.0/24"]
