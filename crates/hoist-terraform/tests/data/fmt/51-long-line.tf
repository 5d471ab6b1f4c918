locals {
  very_long_expression_name = concat(var.first_list_of_many_things, var.second_list_of_many_things, var.third_list, ["literal-one", "literal-two", "literal-three"])
  x = 1
}
