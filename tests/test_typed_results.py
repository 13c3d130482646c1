"""Services hand pages typed results: no public service returns a bare ``dict``.

A TypedDict (or a dataclass) says which keys a page may read; a plain ``dict`` lets a
renamed key break a page silently. Typed maps such as ``dict[int, ItemStats]`` are fine.
"""

from __future__ import annotations

import ast

from tests.factories import ROOT

SERVICES = ROOT / "app" / "services"


def _untyped(annotation: ast.expr | None) -> bool:
    """Whether a return annotation holds a ``dict`` whose values are not typed."""
    if annotation is None:
        return False
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name) and node.id in ("dict", "Dict", "Mapping"):
            return not _is_subscripted(annotation, node)
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("dict", "Mapping"):
            values = node.slice.elts[-1] if isinstance(node.slice, ast.Tuple) else node.slice
            if ast.unparse(values) in ("Any", "object"):
                return True
    return False


def _is_subscripted(root: ast.expr, name: ast.Name) -> bool:
    return any(isinstance(n, ast.Subscript) and n.value is name for n in ast.walk(root))


def untyped_functions(source: str) -> list[tuple[int, str]]:
    """(line, name) of each public function returning an untyped dict."""
    return [
        (node.lineno, node.name)
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and not node.name.startswith("_")
        and _untyped(node.returns)
    ]


def test_no_public_service_returns_a_plain_dict():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in sorted(SERVICES.rglob("*.py"))
        for line, name in untyped_functions(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "\n".join(found)


def test_the_check_finds_plain_dicts():
    sample = (
        "from typing import Any\n"
        "def bare() -> dict: ...\n"
        "def rows() -> list[dict]: ...\n"
        "def loose() -> dict[str, Any]: ...\n"
        "def maybe() -> dict | None: ...\n"
        "def typed_map() -> dict[int, str]: ...\n"
        "def nested() -> dict[str, dict[str, str]]: ...\n"
        "def _private() -> dict: ...\n"
        "def plain() -> int: ...\n"
    )
    assert [name for _, name in untyped_functions(sample)] == ["bare", "rows", "loose", "maybe"]
