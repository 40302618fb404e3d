"""`make test` draws the same examples on every run (issue 14: a suite that passes or fails by
chance hides real bugs): every property test takes its randomness from the profile that
tests/fuzzing.py loads (derandomised by default, random under `make fuzz-long`), never from its
own `@settings(derandomize=…, database=…)` or `@seed(…)`, which would also keep it out of the
long randomised run."""
import ast
from pathlib import Path

from hypothesis import settings

from tests.fuzzing import PROFILE

TESTS = Path(__file__).resolve().parent.parent
OWN_RANDOMNESS = {"derandomize", "database"}


def _name(node) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def own_randomness() -> list[str]:
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        if path.name == "fuzzing.py" or "hypothesis" not in (text := path.read_text(encoding="utf-8")):
            continue
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            if name == "seed" or (name == "settings" and OWN_RANDOMNESS & {k.arg for k in node.keywords}):
                found.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    return found


def test_no_property_test_sets_its_own_randomness():
    assert own_randomness() == []


def test_make_test_is_derandomised():
    assert settings.default.derandomize is (PROFILE == "deterministic")
    if PROFILE == "deterministic":
        assert settings.default.database is None  # nothing replayed from an earlier run either
