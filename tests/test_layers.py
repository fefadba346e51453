"""The folders read bottom to top: accounts <- patients <- sessions <- risk <- inventory <-
oversight, with demo data above them all. A module may import its own layer and those below
it, and the project's plumbing (ipt_clinic.forms, .validation, .versions); never a layer
above it."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["ipt_clinic.accounts", "patients", "sessions", "risk", "inventory", "oversight", "demo"]
PLUMBING = {"ipt_clinic.forms", "ipt_clinic.hooks", "ipt_clinic.validation", "ipt_clinic.versions"}


def layer_of(module: str) -> int | None:
    for rank, layer in enumerate(LAYERS):
        if module == layer or module.startswith(f"{layer}."):
            return rank
    return None


def imports_of(path: Path) -> list[str]:
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.append(".".join([*base, node.module] if node.module else base))
            else:
                found.append(node.module)
    return found


def modules_of(layer: str) -> list[Path]:
    return sorted(
        p for p in (ROOT / layer.replace(".", "/")).rglob("*.py") if "migrations" not in p.parts
    )


@pytest.mark.parametrize("layer", LAYERS)
def test_no_module_imports_a_layer_above_its_own(layer):
    rank = LAYERS.index(layer)
    upward = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in modules_of(layer)
        for module in imports_of(path)
        if module not in PLUMBING and (layer_of(module) or 0) > rank
    ]
    assert upward == []


def test_the_plumbing_imports_no_app():
    for name in PLUMBING:
        path = ROOT / (name.replace(".", "/") + ".py")
        assert [m for m in imports_of(path) if layer_of(m) is not None] == [], name


def test_services_take_the_acting_person_not_the_request():
    """No application module fakes a request (django.test) or hands one to a service: services
    take `by`, the audit trail reads the address from its context (accounts/audit.py)."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for layer in LAYERS
        for path in modules_of(layer)
        for module in imports_of(path)
        if module == "django.test" or module.startswith("django.test.")
    ]
    assert offenders == []
    for layer in LAYERS:
        for path in modules_of(layer):
            if path.name == "services.py":
                assert "HttpRequest" not in path.read_text(), path.relative_to(ROOT)
