"""The CDK app, synthesized once per test run, as `cdk synth` would (cdk-nag attached)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Same as infra/app.py, so the tests do not depend on the editable install having seen infra/.
for path in (ROOT / "infra", ROOT / "layers" / "cis" / "python"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    template: dict  # the stack's CloudFormation template, as written to the cloud assembly
    synth_error: Exception | None  # set when a validation plugin reported an error-level finding

    def resources(self, kind: str) -> dict[str, dict]:
        return {name: r for name, r in self.template["Resources"].items() if r["Type"] == kind}

    def properties(self, kind: str) -> dict[str, dict]:
        return {name: r.get("Properties", {}) for name, r in self.resources(kind).items()}

    def only(self, kind: str) -> tuple[str, dict]:
        (item,) = self.properties(kind).items()
        return item


def data_key(stack: Synthesized) -> tuple[str, dict]:
    """The project's encryption key (the table, logs, queues, backups): the one KMS key that encrypts."""
    (item,) = ((k, p) for k, p in stack.properties("AWS::KMS::Key").items() if "KeySpec" not in p)
    return item


def link_key(stack: Synthesized) -> tuple[str, dict]:
    """The KMS HMAC key that signs unsubscribe links."""
    (item,) = ((k, p) for k, p in stack.properties("AWS::KMS::Key").items() if p.get("KeySpec") == "HMAC_256")
    return item


def references(value) -> set[str]:
    """Every logical id a template value names, through Ref or Fn::GetAtt, however deeply nested."""
    if isinstance(value, dict):
        found = {value["Ref"]} if isinstance(value.get("Ref"), str) else set()
        if isinstance(attribute := value.get("Fn::GetAtt"), list):
            found.add(attribute[0])
        return found.union(*(references(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(references(item) for item in value))
    return set()


def function_ids(stack: Synthesized) -> dict[str, str]:
    """Topology function name -> logical id, matched on the description the topology gives each function."""
    from cis.topology import FUNCTIONS

    by_description = {p["Description"]: name for name, p in stack.properties("AWS::Lambda::Function").items()}
    return {spec.name: by_description[spec.description] for spec in FUNCTIONS}


def alias_ids(stack: Synthesized) -> dict[str, str]:
    """Topology function name -> logical id of its alias: what every invoker names."""
    by_function = {p["FunctionName"]["Ref"]: alias for alias, p in stack.properties("AWS::Lambda::Alias").items()}
    return {name: by_function[function_id] for name, function_id in function_ids(stack).items()}


def invoked(stack: Synthesized, value) -> str:
    """The topology function whose alias a template value (an ARN, a qualified name) names: exactly one."""
    names = {alias: name for name, alias in alias_ids(stack).items()}
    (name,) = {names[found] for found in references(value) if found in names}
    return name


@pytest.fixture(scope="session")  # read only: test_stack.py and test_snapstart.py share one synth
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    from cis_infra.build import STACK_NAME, build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    try:
        build_app(outdir=str(outdir)).synth()
        error = None
    except RuntimeError as raised:
        if "ValidationFailed" not in str(raised):
            raise
        error = raised  # an error-level finding: the templates were written before the plugins ran
    template = json.loads((outdir / f"{STACK_NAME}.template.json").read_text(encoding="utf-8"))
    return Synthesized(outdir, template, error)
