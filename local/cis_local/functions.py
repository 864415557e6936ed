"""Load each function's handler module the way Lambda would, from the topology."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from cis.topology import FUNCTIONS, Function

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = ROOT / "functions"


def handler_path(function: Function) -> Path:
    return FUNCTIONS_DIR / function.name / "handler.py"


def load_handler(function: Function) -> ModuleType:
    """Import functions/<name>/handler.py under a unique module name (every handler is handler.py)."""
    name = f"cis_function_{function.name}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, handler_path(function))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def function_named(name: str) -> Function:
    return next(function for function in FUNCTIONS if function.name == name)
