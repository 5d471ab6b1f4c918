locals { # opening
  a = [ # list
    1,
  ] # closed
}
