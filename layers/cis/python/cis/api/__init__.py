"""HTTP concerns shared by the API functions: authorization gate, error shape, responses."""
