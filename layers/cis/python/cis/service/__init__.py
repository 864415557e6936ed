"""Use cases: what the API (and later the jobs) ask of the domain and repository."""
