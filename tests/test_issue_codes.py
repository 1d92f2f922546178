"""Every issue code gxie's sources use is an IssueCode member, every member is used, and the README lists them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import gxie.annotate.client
import gxie.annotate.offsets
from gxie.errors import GxieError
from gxie.types import IssueCode

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "gxie").rglob("*.py"))
CODE_CALLS = {"Issue", "failed", "failed_report"}  # (level or source, code, message ...)


def _strings(node: ast.AST) -> list[str]:
    """String constants of a node: itself, or the items of a set, tuple or list literal."""
    items = node.elts if isinstance(node, ast.Set | ast.Tuple | ast.List) else [node]
    return [n.value for n in items if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _is_code(node: ast.AST) -> bool:
    """``x.code`` or ``x.get("code")``."""
    if isinstance(node, ast.Attribute):
        return node.attr == "code"
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and _strings(node.args[0] if node.args else ast.Constant(None)) == ["code"]
    )


def code_strings(source: str) -> list[str]:
    """Bare strings used as issue codes: code arguments, ``code = "..."``, comparisons with ``.code``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in CODE_CALLS and len(node.args) >= 2:
                found += _strings(node.args[1])
            found += [s for k in node.keywords if k.arg == "code" for s in _strings(k.value)]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id if isinstance(t, ast.Name) else getattr(t, "attr", "") for t in targets]
            if node.value is not None and any(n == "code" or n.endswith(("_CODE", "_CODES")) for n in names):
                found += _strings(node.value)
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_code(s) for s in sides):
                found += [s for side in sides for s in _strings(side)]
    return found


def members_used(source: str) -> set[str]:
    """Names of the ``IssueCode.NAME`` references in ``source``."""
    return {
        n.attr
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "IssueCode"
    }


def test_the_walker_finds_bare_code_strings() -> None:
    snippet = """
Issue("warning", "bogus_a", "m")
Report.failed(name, "bogus_b", text, versions=v)
x = Issue(level="info", code="bogus_c", message="m")
class E(GxieError):
    code = "bogus_d"
if m.code == "bogus_e" or d.get("code") in {"bogus_f", "bogus_g"}:
    pass
UNCERTAIN_CODES = ("bogus_h",)
"""
    assert sorted(code_strings(snippet)) == [f"bogus_{c}" for c in "abcdefgh"]


def test_every_code_string_in_the_sources_is_a_member() -> None:
    values = {c.value for c in IssueCode}
    bare = {f"{p.relative_to(ROOT)}: {s!r}" for p in SOURCES for s in code_strings(p.read_text(encoding="utf-8"))}
    unknown = sorted(b for b in bare if b.split(": ")[1].strip("'") not in values)
    assert not unknown, f"codes that are not IssueCode members (add them to gxie.types.IssueCode): {unknown}"


def test_every_member_is_used_outside_its_definition() -> None:
    used: set[str] = set()
    for path in SOURCES:
        if path.name != "types.py" or path.parent.name != "gxie":
            used |= members_used(path.read_text(encoding="utf-8"))
    assert sorted(set(IssueCode.__members__) - used) == []


def test_every_gxie_error_code_is_a_member() -> None:
    assert gxie.annotate.client and gxie.annotate.offsets  # their errors are subclasses too
    pending, seen = [GxieError], []
    while pending:
        cls = pending.pop()
        seen.append(cls)
        pending += cls.__subclasses__()
    assert len(seen) >= 10
    assert [c.__name__ for c in seen if not isinstance(c.code, IssueCode)] == []


def test_readme_lists_every_issue_code() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`([a-z_]+)`", readme))
    assert sorted(c.value for c in IssueCode if c.value not in listed) == []
