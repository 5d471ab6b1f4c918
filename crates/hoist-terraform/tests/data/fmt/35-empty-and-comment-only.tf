# nothing but comments

// here

/*
  and here
*/
