"""Only the repository knows DynamoDB item and key shapes: no service imports them (read with ast)."""

import ast
from pathlib import Path

import cis.service
import pytest

SHAPES = {"cis.repository.keys", "cis.repository.items"}
SERVICES = sorted(Path(cis.service.__file__).parent.glob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Every module the file imports, with `from package import module` counted as package.module."""
    package = "cis.service"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the service package up
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def test_the_service_package_is_read():
    assert len(SERVICES) > 5 and any(path.name == "merges.py" for path in SERVICES)


@pytest.mark.parametrize("path", SERVICES, ids=lambda path: path.name)
def test_no_service_imports_the_repositorys_key_or_item_shapes(path):
    assert not imported_modules(path) & SHAPES, f"{path.name}: ask the repository for a method instead"


@pytest.mark.parametrize(
    "source",
    [
        "from cis.repository import keys",
        "from cis.repository.items import from_attributes",
        "import cis.repository.keys",
        "from ..repository import items",
    ],
)
def test_each_way_of_importing_them_is_caught(tmp_path, source):
    module = tmp_path / "service.py"
    module.write_text(source + "\n")
    assert imported_modules(module) & SHAPES
