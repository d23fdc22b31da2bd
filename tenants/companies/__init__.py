"""Companies (the tenant model), their domains, self-service signup and widget key routing."""
