"""Customer domain: models, validation and rules. No AWS, no Powertools."""
