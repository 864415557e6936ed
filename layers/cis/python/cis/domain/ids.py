"""Identifier shapes, in a leaf module: the API's path parameters read them without loading the models."""

CUSTOMER_ID_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{26}$"  # a ULID: sortable by creation time
