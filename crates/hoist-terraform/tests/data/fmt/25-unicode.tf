locals {
  greeting = "héllo wörld"
  ü = 1
  emoji = "🚀"
  short = 2
  ångström = "x" # ünïcode comment
  b = 3 # ascii
}
