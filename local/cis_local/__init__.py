"""Development tooling: the local runtime, dev tokens, the spec generator. Never shipped to Lambda."""
