locals {
  max = max(var.a, var.b, 10)
  min = min(var.sizes...)
  ceil = ceil(var.x / 2)
  floor = floor(var.y)
  abs = abs(-5)
  pow = pow(2, 10)
  parsed = parseint("ff", 16)
  signum = signum(var.delta)
}
