"""What every in-process benchmark runs with, set before any `cis` module reads it at import: moto
in this process (no endpoints, no real account), quiet Powertools."""

import os

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "TABLE_NAME": "cis-bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        # As Lambda's configuration sets them: a batch of over 100 records flushes metrics mid-batch.
        "POWERTOOLS_SERVICE_NAME": "cis",
        "POWERTOOLS_METRICS_NAMESPACE": "CIS",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
)
for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
    os.environ.pop(name, None)
