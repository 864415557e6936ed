"""`cdk synth` / `cdk deploy` entry point (cdk.json: ".venv/bin/python infra/app.py")."""

import os
import sys
from pathlib import Path

# The CDK app imports the topology from the shared layer and its constructs from infra/,
# whether or not the editable install is present.
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "cis" / "python"), str(ROOT / "infra")]
# jsii's Node notices say nothing about this app; the Makefile sets the older variable name only.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from cis_infra.build import build_app  # noqa: E402
from cis_infra.nag import findings  # noqa: E402

if __name__ == "__main__":
    # Error-level findings already make synth() raise; warnings only print, so fail on those here.
    assembly = build_app().synth()
    if unacknowledged := findings(assembly.directory):
        sys.exit("unacknowledged validation findings:\n  " + "\n  ".join(unacknowledged))
