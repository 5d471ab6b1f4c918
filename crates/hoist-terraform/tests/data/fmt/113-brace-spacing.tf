locals {
  a = {x=1}
  b = {  }
  c = {x = {y = {z = 1}}}
}
