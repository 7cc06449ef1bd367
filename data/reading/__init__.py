"""Reading a district's tables at scale: a query's rows as columns."""
