"""Where the app finds what it packages: function folders and the two layers."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = REPO_ROOT / "functions"
CIS_LAYER_DIR = REPO_ROOT / "layers" / "cis"
# Built by `make layer`: arm64 wheels installed with pip --platform, so no Docker is needed.
DEPS_LAYER_DIR = REPO_ROOT / ".build" / "layers" / "deps"

# Host-side leftovers that Lambda never reads (bytecode of the build machine's Python, make's marker).
ASSET_EXCLUDES = ["**/__pycache__", "**/*.pyc", "**/.installed"]


def function_dir(name: str) -> Path:
    path = FUNCTIONS_DIR / name
    if not (path / "handler.py").is_file():
        raise FileNotFoundError(f"the topology names function {name!r} but {path}/handler.py does not exist")
    return path


def deps_layer_dir() -> Path:
    if not (DEPS_LAYER_DIR / "python").is_dir():
        raise FileNotFoundError(f"{DEPS_LAYER_DIR}/python is missing: run `make layer` first")
    return DEPS_LAYER_DIR
