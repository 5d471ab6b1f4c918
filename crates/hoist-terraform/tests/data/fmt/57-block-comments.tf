/* leading block comment */ locals {
  a = /* inline */ 1
  b = 2 /* trailing block */
  /* own line */
  c = 3
}
