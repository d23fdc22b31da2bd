"""Companies and their people: the public schema (companies, signup, console) and accounts."""
