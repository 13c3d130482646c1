"""Reading call templates: keys as written, and every problem named with its file and line."""

from __future__ import annotations

import shutil

import pytest

from app.core.generator.templates import TEMPLATE_DIR, TemplateError, load_templates


@pytest.fixture
def template_dir(tmp_path):
    """A private copy of the shipped templates (load_templates is cached per folder)."""
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, folder)
    return folder


def _replace(path, old: str, new: str) -> int:
    """Replace the one line starting with ``old``; return its 1-based number."""
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith(old))
    lines[number - 1] = new
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return number


def test_yes_and_no_keys_are_read_as_written():
    """`evidence: {no: 10, yes: 90}` weighs the fact values "no" and "yes"."""
    burglary = next(t for t in load_templates() if t.id == "burglary-in-progress")
    assert burglary.weights["evidence"] == {"no": 10.0, "yes": 90.0}


def test_a_schema_error_names_file_line_and_key(template_dir):
    number = _replace(
        template_dir / "noise-party.yaml",
        "  - {role: next-door neighbor",
        "  - {role: next-door neighbor, relation: cousin}",
    )
    with pytest.raises(TemplateError) as caught:
        load_templates(template_dir)
    assert str(caught.value) == (
        f"noise-party.yaml:{number}: callers[0].relation: "
        "one of stranger, neighbor, family, self, professional"
    )


def test_an_unknown_placeholder_names_its_line(template_dir):
    number = _replace(
        template_dir / "noise-party.yaml",
        "    location: ",
        '    location: "{address_digits}, near {nowhere}"',
    )
    with pytest.raises(TemplateError, match=rf"^noise-party.yaml:{number}: places\[0\]\.location"):
        load_templates(template_dir)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("template: 1\nid: [unclosed\n", "noise-party.yaml:3: invalid YAML"),
        ("template: 1\nid: a\nid: b\n", "noise-party.yaml:3: duplicate key 'id'"),
        ("template: 1\nid: !!python/name:os.system x\n", "noise-party.yaml:2: tag"),
        ("- a list\n", "noise-party.yaml:1: not a call template"),
    ],
)
def test_broken_yaml_is_refused_with_its_line(template_dir, text, needle):
    (template_dir / "noise-party.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_templates(template_dir)
    assert str(caught.value).startswith(needle)
