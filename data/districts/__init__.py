"""A city's districts: the registry of the districts a database holds, the record of
what each district's share of a city-wide run did, and Shanghai's districts."""
