Stripe.api_key = "sk_live_v47aF1PvrCNg0jzs8jaDkjQW"
RESTRICTED = "rk_live_L3Ecs0HniBxXUGfzeJMH8NHH"
