constructs.sql:21:1: error[FQL5010]: OFFSET is not supported by the dedicated target
  LIMIT 5 OFFSET 1
  ^~~~~
