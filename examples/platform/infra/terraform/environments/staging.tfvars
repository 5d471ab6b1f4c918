environment = "staging"
node_count  = 3
admin_cidrs = ["203.0.113.0/24"]
