"""A cold start pays for every module a handler imports: each function loads only what it runs.

Each handler is loaded in a fresh interpreter (this process has imported everything long ago), with
the test environment conftest.py set, and its sys.modules is checked against what it must not load.
"""

import importlib.util
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import cis
import cis_local
import pytest
from cis.topology import FUNCTIONS

AWS_SDK = ("boto3",)
IDEMPOTENCY = ("aws_lambda_powertools.utilities.idempotency",)  # loads boto3 and its DynamoDB layer
CONTACT = ("email_validator", "phonenumbers")  # validating email addresses, phone numbers, countries
MATCHING = ("rapidfuzz", "jellyfish", "nicknames", "anyascii")  # comparing and filing duplicate candidates
BABEL = ("babel",)  # currency codes of subscriptions, and rendering messages
MERGES_AND_IMPORTS = ("cis.repository.merges", "cis.repository.imports", "cis.service.merges", "cis.service.imports")
CUSTOMER_MODEL = ("cis.domain.customer", "cis.domain.changes", "cis.service.customers")
MODELS = ("cis.domain", "cis.service", "cis.repository", "cis.api.http", "cis.api.operations")
SWAGGER_UI = ("aws_lambda_powertools.event_handler.openapi.swagger_ui",)  # Powertools' OpenAPI models

# What each function must not load at cold start (a name covers its submodules). A library is left
# out where the function's main path calls it: reading a stored customer validates its contact data
# and its subscriptions' currencies, so every function that reads customers loads CONTACT and BABEL.
MUST_NOT_LOAD: dict[str, tuple[str, ...]] = {
    # Creates customers (contact, duplicate candidates: matching), reads their subscriptions, takes POSTs.
    "customers_api": MERGES_AND_IMPORTS,
    # Reads customers for the 360 view and checks; compares none.
    "timeline_api": (*MATCHING, *MERGES_AND_IMPORTS),
    # No POST routes; reads customers for their consents; compares none.
    "consents_api": (*IDEMPOTENCY, *MATCHING, *MERGES_AND_IMPORTS),
    # Imports and merges: validates, compares and files records, takes POSTs: it uses everything it loads.
    "data_quality_api": (),
    # Reads customers for their subscriptions; compares none.
    "subscriptions_api": (*MATCHING, *MERGES_AND_IMPORTS),
    # Re-files the blocking keys of every changed customer (matching) from validated profiles.
    "stream_processor": (*IDEMPOTENCY, *MERGES_AND_IMPORTS),
    # Reads reminder items and publishes events: no customer model, no contact data, no message.
    "renewal_reminders": (*IDEMPOTENCY, *CUSTOMER_MODEL, *CONTACT, *MATCHING, *BABEL, *MERGES_AND_IMPORTS),
    # Assesses validated profiles (contact, babel); compares none.
    "churn_check": (*IDEMPOTENCY, *MATCHING, *MERGES_AND_IMPORTS),
    # Renders messages (babel) to validated customers (contact); compares none.
    "notifier": (*IDEMPOTENCY, *MATCHING, *MERGES_AND_IMPORTS),
    # Serves a JSON file and Swagger UI behind the gate: no AWS call, no model, the page's assets when asked for.
    "api_docs": (*AWS_SDK, "aws_xray_sdk", *IDEMPOTENCY, "pydantic", *MODELS, *CONTACT, *MATCHING, *BABEL, *SWAGGER_UI),
}

LOAD = """
import json, sys
from cis_local.functions import function_named, load_handler
for name in sys.argv[1:]:
    load_handler(function_named(name))
print(json.dumps(sorted(sys.modules)))
"""


def modules_after_loading(*names: str, env: dict[str, str] | None = None) -> set[str]:
    """sys.modules of a fresh interpreter that has loaded these functions' handlers."""
    paths = [str(Path(package.__file__).parents[1]) for package in (cis, cis_local)]
    environment = (env or dict(os.environ)) | {
        "PYTHONPATH": os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")])
    }
    done = subprocess.run(
        [sys.executable, "-c", LOAD, *names], env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


@cache
def loaded() -> dict[str, set[str]]:
    """Every function's modules, loaded side by side (one interpreter each)."""
    names = [function.name for function in FUNCTIONS]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(zip(names, pool.map(modules_after_loading, names), strict=True))


def under(modules: set[str], name: str) -> set[str]:
    return {m for m in modules if m == name or m.startswith(f"{name}.")}


def test_every_function_declares_what_it_must_not_load():
    assert set(MUST_NOT_LOAD) == {function.name for function in FUNCTIONS}


def test_what_the_table_forbids_exists_so_no_entry_passes_by_a_misspelling():
    for name in {name for names in MUST_NOT_LOAD.values() for name in names}:
        assert importlib.util.find_spec(name) is not None, name


@pytest.mark.parametrize("function", sorted(MUST_NOT_LOAD))
def test_a_handler_loads_none_of_the_modules_its_function_never_runs(function):
    modules = loaded()[function]
    assert "cis.topology" in modules  # the handler was loaded, not just the interpreter
    unwanted = sorted(module for name in MUST_NOT_LOAD[function] for module in under(modules, name))
    assert not unwanted, f"{function} loads {unwanted}"


def test_only_the_functions_with_post_routes_load_powertools_idempotency():
    loading = {function.name for function in FUNCTIONS if under(loaded()[function.name], IDEMPOTENCY[0])}
    assert loading == {function.name for function in FUNCTIONS if function.uses_idempotency}


def test_traced_handlers_patch_botocore_and_no_other_library():
    # Tracing on, as in Lambda: X-Ray's default would patch requests, httpx, sqlite3, ... as well.
    lambda_like = {k: v for k, v in os.environ.items() if k != "POWERTOOLS_TRACE_DISABLED"} | {
        "LAMBDA_TASK_ROOT": str(Path(cis.__file__).parents[1]),
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
    }
    modules = modules_after_loading(*(function.name for function in FUNCTIONS), env=lambda_like)
    patches = {m for m in under(modules, "aws_xray_sdk.ext") if m.endswith(".patch")}
    assert patches == {"aws_xray_sdk.ext.botocore.patch"}
