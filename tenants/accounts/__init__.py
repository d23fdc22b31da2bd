"""People who log in: operators, supervisors and admins of a company (in its schema), and
platform staff (the same model in the public schema)."""
