"""One cold start in a process set up as Lambda's; bench/coldstart.py runs it (python -S), never imports it.

    python -S bench/coldstart_child.py SPEC.json

The spec names the import path (function folder, layers), what to import (the handler module, as
Lambda's runtime does, or a statement), the first request's event and context if there is one, and
where to write the figures. CPU time (time.process_time) of this process only: the AWS services are
moto's server in another process (AWS_ENDPOINT_URL), as they are other machines in Lambda's case.

Before the clock starts, only what Lambda's runtime client has loaded when it imports a handler is
loaded here.
"""

# What awslambdaric's bootstrap has imported before it imports the handler (its marshaller's decimal
# too): loaded in every Lambda process, so no function pays for them at init.
import decimal  # noqa: F401
import importlib
import json
import logging  # noqa: F401
import os
import sys
import time
import traceback
import warnings  # noqa: F401


class LambdaContext:
    def __init__(self, context: dict):
        timeout_s = context.pop("timeout_s")
        self.__dict__.update(context)
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _succeeded(response) -> bool:
    if isinstance(response, dict) and "statusCode" in response:
        return response["statusCode"] < 300
    if isinstance(response, dict) and "batchItemFailures" in response:
        return not response["batchItemFailures"]
    return response is not None


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as file:
        spec = json.load(file)
    # As Lambda: the task root, the layers, the runtime's SDK, then the standard library.
    sys.path[:] = [*spec["path"], *(entry for entry in sys.path[1:] if entry)]
    figures: dict = {}

    start = time.process_time()
    if spec.get("statement"):
        exec(spec["statement"], {})
    else:
        module = importlib.import_module("handler")
    figures["init_ms"] = (time.process_time() - start) * 1000
    figures["modules"] = len(sys.modules)

    if spec.get("event") is not None:
        context = LambdaContext(dict(spec["context"]))
        os.environ["_X_AMZN_TRACE_ID"] = spec["trace_id"]  # as Lambda sets it for each invocation
        start = time.process_time()
        response = module.handler(spec["event"], context)
        figures["first_request_ms"] = (time.process_time() - start) * 1000
        if not _succeeded(response):
            sys.stderr.write(f"the first request failed: {json.dumps(response, default=str)[:2000]}\n")
            return 1
    with open(spec["out"], "w", encoding="utf-8") as file:
        json.dump(figures, file)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:
        traceback.print_exc()
        sys.exit(1)
