"""Data access: the only package that knows DynamoDB key shapes and request forms."""
