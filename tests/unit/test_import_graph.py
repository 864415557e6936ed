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
from cis_local.functions import function_named, handler_path

AWS_SDK = ("boto3",)
# Loads boto3's DynamoDB persistence layer: set up by the first request that carries an Idempotency-Key.
IDEMPOTENCY = ("aws_lambda_powertools.utilities.idempotency",)
CONTACT = ("email_validator", "phonenumbers")  # validating email addresses, phone numbers, countries
MATCHING = ("rapidfuzz", "jellyfish", "nicknames", "anyascii")  # comparing and filing duplicate candidates
BABEL = ("babel",)  # currency codes of subscriptions, and rendering messages
MERGES_AND_IMPORTS = (
    "cis.domain.merging",
    "cis.repository.merges",
    "cis.repository.imports",
    "cis.service.merges",
    "cis.service.imports",
)
# The merge and import services with their stores: the data quality API makes them at the first request
# that merges, splits, undoes or imports (the duplicate listing needs the route models only).
MERGE_AND_IMPORT_SERVICES = (
    "cis.service.merges",
    "cis.service.imports",
    "cis.service.import_files",
    "cis.repository.merges",
    "cis.repository.merge_plans",
    "cis.repository.imports",
    "cis.repository.import_files",
    "cis.repository.uploads",
)
CUSTOMER_MODEL = ("cis.domain.customer", "cis.domain.changes", "cis.service.customers")
CHURN_RULES = ("cis.domain.churn",)  # assessing customers (the churn check), marking them (the stream processor)
INTERACTION_MODELS = ("cis.domain.interactions",)  # what the timeline takes; a customer keeps its engagement only
CUSTOMER_SERVICE = ("cis.service.customers",)  # creating, editing and finding customers (reading is the repository's)
TOPOLOGY = ("cis.topology",)  # routes and roles: the API functions' (the table's names are in cis.config's settings)
MODELS = ("cis.domain", "cis.service", "cis.repository", "cis.api.http", "cis.api.operations")
SWAGGER_UI = ("aws_lambda_powertools.event_handler.openapi.swagger_ui",)  # Powertools' OpenAPI models

# What each function must not load at cold start (a name covers its submodules). A library is left
# out where the function's init calls it. Contact and currency checks load their libraries when a
# client's data is validated; a record read back from the table skips them (see
# test_reading_a_stored_customer_loads_no_contact_or_currency_library), and no function validates
# client data at init.
MUST_NOT_LOAD: dict[str, tuple[str, ...]] = {
    # Creates customers (duplicate candidates: matching) and takes POSTs; reads no rules or interactions.
    "customers_api": (*IDEMPOTENCY, *CONTACT, *BABEL, *CHURN_RULES, *INTERACTION_MODELS, *MERGES_AND_IMPORTS),
    # Reads customers for the 360 view; compares none; the churn rules come with its first write.
    "timeline_api": (*IDEMPOTENCY, *CONTACT, *BABEL, *CHURN_RULES, *MATCHING, *MERGES_AND_IMPORTS, *CUSTOMER_SERVICE),
    # No POST routes; reads customers for their consents; compares none.
    "consents_api": (
        *IDEMPOTENCY,
        *CONTACT,
        *BABEL,
        *CHURN_RULES,
        *INTERACTION_MODELS,
        *MATCHING,
        *MERGES_AND_IMPORTS,
    ),
    # Imports and merges: validates, compares and files records, takes POSTs; lists duplicates most often.
    "data_quality_api": (*IDEMPOTENCY, *CONTACT, *BABEL, *CHURN_RULES, *INTERACTION_MODELS, *MERGE_AND_IMPORT_SERVICES),
    # Reads customers for their subscriptions; compares none.
    "subscriptions_api": (
        *IDEMPOTENCY,
        *CONTACT,
        *BABEL,
        *CHURN_RULES,
        *INTERACTION_MODELS,
        *MATCHING,
        *MERGES_AND_IMPORTS,
    ),
    # Pairs every changed customer with the blocks its write filed (matching) and marks rescores (churn rules).
    "stream_processor": (
        *IDEMPOTENCY,
        *CONTACT,
        *BABEL,
        *INTERACTION_MODELS,
        *MERGES_AND_IMPORTS,
        *CUSTOMER_SERVICE,
        *TOPOLOGY,
    ),
    # Reads reminder items and publishes events: no customer model, no contact data, no message.
    "renewal_reminders": (
        *IDEMPOTENCY,
        *CUSTOMER_MODEL,
        *CONTACT,
        *MATCHING,
        *BABEL,
        *CHURN_RULES,
        *INTERACTION_MODELS,
        *MERGES_AND_IMPORTS,
        *TOPOLOGY,
    ),
    # Assesses stored profiles against the churn rules; compares none.
    "churn_check": (
        *IDEMPOTENCY,
        *CONTACT,
        *BABEL,
        *INTERACTION_MODELS,
        *MATCHING,
        *MERGES_AND_IMPORTS,
        *CUSTOMER_SERVICE,
        *TOPOLOGY,
    ),
    # Erases archived customers that are due: no client data to validate, nothing to compare or assess.
    "retention": (
        *IDEMPOTENCY,
        *CONTACT,
        *BABEL,
        *CHURN_RULES,
        *INTERACTION_MODELS,
        *MATCHING,
        *MERGES_AND_IMPORTS,
        *TOPOLOGY,
    ),
    # Renders messages (babel) to stored customers; compares none.
    "notifier": (
        *IDEMPOTENCY,
        *CONTACT,
        *CHURN_RULES,
        *INTERACTION_MODELS,
        *MATCHING,
        *MERGES_AND_IMPORTS,
        *CUSTOMER_SERVICE,
        *TOPOLOGY,
    ),
    # Cuts uploaded files and imports their parts: validates, compares and files records; takes no POSTs.
    "import_worker": (*IDEMPOTENCY, *CONTACT, *BABEL, *CHURN_RULES, *INTERACTION_MODELS),
    # The customer's own record: reads it, edits names and addresses (matching refiles them), takes POSTs;
    # the timeline's and interactions' models come with the first ticket, order or feedback route.
    "me_api": (
        *IDEMPOTENCY,
        *CONTACT,
        *BABEL,
        *CHURN_RULES,
        *INTERACTION_MODELS,
        *MERGES_AND_IMPORTS,
        "cis.domain.timeline",
        "cis.service.timeline",
    ),
    # Links a confirmed sign-up: finds a customer by verified contact or creates one (matching); no routes.
    "customer_signup": (
        *IDEMPOTENCY,
        *BABEL,
        *CHURN_RULES,
        *INTERACTION_MODELS,
        *MERGES_AND_IMPORTS,
        *TOPOLOGY,
        "cis.api",
    ),
    # Checks a link's MAC with KMS, reads the customer, records a withdrawal: no POST takes a key, no
    # client data to validate, nothing to compare, no message to render. The page a link opens checks
    # the link only: the customer model and the consent service come with the first withdrawal.
    "unsubscribe_api": (
        *IDEMPOTENCY,
        *CONTACT,
        *BABEL,
        *CHURN_RULES,
        *INTERACTION_MODELS,
        *MATCHING,
        *MERGES_AND_IMPORTS,
        *CUSTOMER_MODEL,
        "cis.domain.consent",
        "cis.service.consents",
        "cis.domain.notifications",
    ),
    # Serves a JSON file and Swagger UI behind the gate: no AWS call, no model, the page's assets when asked for.
    "api_docs": (*AWS_SDK, "aws_xray_sdk", *IDEMPOTENCY, "pydantic", *MODELS, *CONTACT, *MATCHING, *BABEL, *SWAGGER_UI),
}

# As Lambda loads a handler: its file alone (cis_local's loader would load the topology for it).
LOAD = """
import importlib.util, json, sys
for name, path in zip(sys.argv[1::2], sys.argv[2::2]):
    spec = importlib.util.spec_from_file_location(f"cis_function_{name}", path)
    sys.modules[spec.name] = module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
print(json.dumps(sorted(sys.modules)))
"""


def modules_after_loading(*names: str, env: dict[str, str] | None = None) -> set[str]:
    """sys.modules of a fresh interpreter that has loaded these functions' handlers."""
    paths = [str(Path(package.__file__).parents[1]) for package in (cis, cis_local)]
    environment = (env or dict(os.environ)) | {
        "PYTHONPATH": os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")])
    }
    handlers = [part for name in names for part in (name, str(handler_path(function_named(name))))]
    done = subprocess.run(
        [sys.executable, "-c", LOAD, *handlers], env=environment, capture_output=True, text=True, timeout=120
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
    assert f"cis_function_{function}" in modules  # the handler was loaded, not just the interpreter
    unwanted = sorted(module for name in MUST_NOT_LOAD[function] for module in under(modules, name))
    assert not unwanted, f"{function} loads {unwanted}"


READ_BACK = """
import json, sys
from cis.domain.customer import Customer
from cis.domain.model import STORED
customer = {
    "id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "version": 1, "given_name": "Ada",
    "created_at": "2026-01-01T00:00:00Z", "created_by": "staff:a", "updated_at": "2026-01-01T00:00:00Z",
    "updated_by": "staff:a", "emails": [{"address": "ådå@example.com", "primary": True}],
    "phones": [{"number": "+14155550100", "primary": True}],
    "addresses": [{"lines": ["1 Main St"], "country": "US"}],
    "subscriptions": {"01ARZ3NDEKTSV4RRFFQ69G5FAW": {
        "id": "01ARZ3NDEKTSV4RRFFQ69G5FAW", "customer_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "plan": "gym",
        "started_at": "2026-01-01", "renews_at": "2027-01-01", "price": "9.90", "currency": "EUR", "version": 1,
        "created_at": "2026-01-01T00:00:00Z", "created_by": "staff:a",
        "updated_at": "2026-01-01T00:00:00Z", "updated_by": "staff:a"}},
}
Customer.model_validate(customer, context=STORED if sys.argv[1] == "stored" else None)
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("how", ["stored", "from a client"])
def test_reading_a_stored_customer_loads_no_contact_or_currency_library(how):
    """A record read back from the table was validated and normalized when written: its email, phone,
    country and currency are taken as stored (context=STORED), so reading one loads none of the
    libraries that check them. The same data from a client loads them all (the check is real; the
    address is not a plain ASCII one, which cis.domain.contact would check without email-validator)."""
    paths = [str(Path(package.__file__).parents[1]) for package in (cis, cis_local)]
    environment = dict(os.environ) | {"PYTHONPATH": os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", READ_BACK, how.split()[0]], env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stdout))
    libraries = {name for name in (*CONTACT, *BABEL) if under(modules, name)}
    assert libraries == (set() if how == "stored" else {*CONTACT, *BABEL})


def test_no_function_loads_powertools_idempotency_at_cold_start():
    # The POST routes set it up at the first request that carries an Idempotency-Key.
    assert not [function.name for function in FUNCTIONS if under(loaded()[function.name], IDEMPOTENCY[0])]


def test_traced_handlers_patch_botocore_and_no_other_library():
    # Tracing on, as in Lambda: X-Ray's default would patch requests, httpx, sqlite3, ... as well.
    lambda_like = {k: v for k, v in os.environ.items() if k != "POWERTOOLS_TRACE_DISABLED"} | {
        "LAMBDA_TASK_ROOT": str(Path(cis.__file__).parents[1]),
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
    }
    modules = modules_after_loading(*(function.name for function in FUNCTIONS), env=lambda_like)
    patches = {m for m in under(modules, "aws_xray_sdk.ext") if m.endswith(".patch")}
    assert patches == {"aws_xray_sdk.ext.botocore.patch"}
