"""The CDK app, synthesized once per test module, as `cdk synth` would (cdk-nag attached)."""

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


@pytest.fixture(scope="module")
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
