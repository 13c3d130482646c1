"""A corpus of hostile or broken YAML files: each is rejected, quickly, with nothing run."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from app.core import yaml_safe
from app.core.scenario import load_paths, parse_scenario
from app.core.yaml_safe import MAX_ALIASES, MAX_BYTES, MAX_DEPTH, YamlError, load_yaml, safe_load
from tests.core.test_scenario_validation import BASE

PY_TAGS = [
    "!!python/object/apply:os.system",
    "!!python/object/apply:subprocess.check_output",
    "!!python/object/new:os.system",
    "!!python/object:os.system",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/tuple",
    "!!python/str",
    "!!python/unicode",
    "!!python/bytes",
    "!!python/complex",
    "!!python/dict",
    "!!python/list",
]
OTHER_TAGS = ["!!set", "!!omap", "!!pairs", "!!binary", "!foo", "!<tag:example.com:x>", "!e!x"]


@pytest.fixture(autouse=True, params=yaml_safe.BACKENDS)
def backend(request, monkeypatch):
    """Run every test with each YAML event parser (libyaml and pure Python)."""
    monkeypatch.setattr(yaml_safe, "BACKEND", request.param)
    return request.param


def _bomb(fan: int, levels: int) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * fan)}]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * fan)}]")
    return "\n".join(lines) + "\n"


def _corpus(marker: Path) -> dict[str, bytes]:
    rnd = random.Random(20240611)
    files: dict[str, str | bytes] = {}
    # alias bombs, of many shapes (a few stay under the alias cap but fan out)
    for fan in range(2, 11):
        for levels in (4, 8, 12):
            files[f"bomb-{fan}-{levels}"] = _bomb(fan, levels)
    files["bomb-mapping"] = "a: &a {x: 1, y: 2}\n" + "".join(
        f"b{i}: &b{i} {{p: *{'a' if i == 0 else f'b{i - 1}'}, q: *{'a' if i == 0 else f'b{i - 1}'}}}\n"
        for i in range(24)
    )
    files["aliases-over-cap"] = "a: &a x\n" + "".join(f"k{i}: *a\n" for i in range(MAX_ALIASES + 5))
    files["aliases-in-list"] = "a: &a [1]\nb: [" + ", ".join(["*a"] * 200) + "]\n"
    # aliases that refer to themselves
    files["cycle-seq"] = "a: &a [*a]\n"
    files["cycle-map"] = "a: &a {b: *a}\n"
    files["cycle-deep"] = "a: &a [[[[*a]]]]\n"
    files["cycle-top"] = "&a [*a, *a]\n"
    files["cycle-key"] = "call: &c\n  opening: x\n  more: *c\n"
    files["undefined-alias"] = "a: *nothing\n"
    # object-building and unknown tags, at every position
    for index, tag in enumerate(PY_TAGS):
        command = f"['touch {marker}']"
        files[f"pytag-{index}-top"] = f"{tag} {command}\n"
        files[f"pytag-{index}-value"] = f"format: 1\nid: {tag} {command}\n"
        files[f"pytag-{index}-item"] = f"tags:\n  - {tag} {command}\n"
        files[f"pytag-{index}-key"] = f"? {tag} {command}\n: value\n"
        files[f"pytag-{index}-in-base"] = BASE.replace(
            "title: Man asleep in a store doorway", f"title: {tag} {command}"
        )
    for index, tag in enumerate(OTHER_TAGS):
        files[f"tag-{index}-scalar"] = f"%TAG !e! tag:example.com:\n---\na: {tag} x\n"
        files[f"tag-{index}-map"] = f"%TAG !e! tag:example.com:\n---\na: {tag} {{x: 1}}\n"
        files[f"tag-{index}-seq"] = f"%TAG !e! tag:example.com:\n---\na: {tag} [1, 2]\n"
    files["set-top"] = "!!set {a, b, c}\n"
    files["yaml-directive-2"] = "%YAML 2.0\n---\na: 1\n"
    # over the size limit
    files["huge-comment"] = BASE + "#" + "x" * MAX_BYTES + "\n"
    files["huge-scalar"] = "title: " + "y" * (MAX_BYTES + 10) + "\n"
    files["huge-keys"] = "".join(f"k{i}: v{i}\n" for i in range(40_000))
    files["huge-list"] = "[" + ", ".join(["1"] * 140_000) + "]\n"
    files["huge-multibyte"] = "title: " + "é" * (MAX_BYTES // 2 + 10) + "\n"
    # deep nesting
    for depth in (MAX_DEPTH + 1, 50, 200, 5_000, 100_000):
        files[f"deep-flow-seq-{depth}"] = "[" * depth + "]" * depth
        files[f"deep-flow-map-{depth}"] = "{a: " * depth + "1" + "}" * depth
        files[f"deep-unclosed-{depth}"] = "[" * depth
    for depth in (MAX_DEPTH + 1, 60, 300):
        files[f"deep-block-map-{depth}"] = "".join("  " * i + "a:\n" for i in range(depth)) + (
            "  " * depth + "b: 1\n"
        )
        files[f"deep-block-seq-{depth}"] = "".join("  " * i + "-\n" for i in range(depth)) + (
            "  " * depth + "- 1\n"
        )
    files["deep-in-base"] = BASE.replace(
        "  context:\n", "  location_x: " + "[" * 40 + "]" * 40 + "\n  context:\n"
    )
    # too many values
    files["many-items"] = "tags: [" + ", ".join(["t"] * 15_000) + "]\n"
    files["many-keys"] = "".join(f"k{i}: 1\n" for i in range(12_000))
    # binary junk and bad encodings
    for index in range(30):
        size = rnd.choice([1, 7, 64, 512, 4096, 65536])
        files[f"junk-{index}"] = bytes(rnd.getrandbits(8) for _ in range(size))
    files["nul"] = b"format: 1\x00\nid: x\n"
    files["control"] = "format: 1\nid: \x07bell\n"
    files["bad-utf8"] = b"format: 1\ntitle: \xc3\x28\n"
    files["latin1"] = "title: café\n".encode("latin-1")
    files["utf16"] = "format: 1\n".encode("utf-16")
    files["utf32"] = "format: 1\n".encode("utf-32")
    files["lone-surrogate-escape"] = 'title: "\\ud800"\n'
    files["png-header"] = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    files["gzip-header"] = b"\x1f\x8b\x08\x00" + bytes(rnd.getrandbits(8) for _ in range(300))
    # truncated documents (cut anywhere before the last required key)
    cut_limit = BASE.index("  rationale:")
    for index, cut in enumerate(sorted(rnd.sample(range(cut_limit), 40))):
        files[f"truncated-{index}-at-{cut}"] = BASE[:cut]
    files["truncated-quote"] = 'format: 1\ntitle: "never closed\n'
    files["truncated-flow"] = "format: 1\ntags: [a, b\n"
    files["truncated-block-scalar-indicator"] = "format: 1\nopening: >\n"
    # wrong shapes and types
    for name, value in {
        "list": "[1, 2]",
        "int": "-7",
        "null": "~",
        "bool": "yes",
        "float": ".nan",
        "mapping": "{a: 1}",
        "text": "'hello'",
    }.items():
        for key in ("format", "version", "call", "expert", "checks", "id"):
            if key == "id" and name in ("int", "bool", "text"):
                continue  # 7, yes and hello are fine ids (the text written is kept)
            files[f"type-{key}-{name}"] = BASE.replace(
                next(line for line in BASE.split("\n") if line.startswith(f"{key}:")),
                f"{key}: {value}",
                1,
            )
    for top in ("- a\n- b\n", "just text\n", "42\n", "~\n", "---\n", "# only a comment\n", "\n\n"):
        files[f"top-{len(files)}"] = top
    files["two-docs"] = BASE + "---\n" + BASE
    files["merge-key"] = "base: &b {format: 1}\n<<: *b\n"
    files["merge-key-list"] = "a: &a {x: 1}\nb:\n  <<: [*a, *a]\n"
    files["duplicate-keys"] = BASE + "format: 1\n"
    files["huge-int"] = BASE.replace("version: 1", "version: " + "9" * 5_000)
    files["tab-indent"] = "call:\n\topening: x\n"
    files["complex-key"] = "? [a, b]\n: c\n"
    files["long-line"] = "x: " + "z" * (MAX_BYTES - 100)
    files["anchor-redefinition-bomb"] = "".join(f"a{i}: &x [1]\n" for i in range(60)) + "b: *x\n"
    return {
        name: (text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
        for name, text in files.items()
    }


def test_the_corpus_is_large_enough(tmp_path):
    assert len(_corpus(tmp_path / "marker")) >= 200


def test_every_hostile_file_is_rejected_quickly_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    corpus = _corpus(marker)
    folder = tmp_path / "corpus"
    folder.mkdir()
    slow = []
    for name, raw in corpus.items():
        path = folder / f"{name}.yaml"
        path.write_bytes(raw)
        start = time.process_time()  # CPU time: other tests running in parallel do not count
        loaded, problems = load_paths([path])
        elapsed = time.process_time() - start
        assert loaded == [], name
        errors = [p for p in problems if p.is_error]
        assert errors, name
        for problem in errors:
            text = str(problem)
            assert text.startswith(str(path)), text
            assert "Traceback" not in text and "\n" not in text, text
        if elapsed >= 1.0:
            slow.append((name, round(elapsed, 2)))
    assert slow == []
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_bomb(3, 14), "aliases expand to too much data"),
        ("a: &a [*a]\n", "nesting deeper than"),
        ("[" * 1000, "nesting deeper than 30 levels"),
        ("a: !!python/object/apply:os.system ['true']\n", "tag !!python/object/apply:os.system"),
        ("a: &a x\n" + "".join(f"k{i}: *a\n" for i in range(51)), "too many aliases"),
        ("x: 1\n" * 2, "duplicate key 'x'"),
    ],
)
def test_safe_load_refuses(text, message):
    with pytest.raises(YamlError) as caught:
        safe_load(text)
    assert message in caught.value.message


def test_load_yaml_keeps_lines_and_plain_text():
    doc = load_yaml("a:\n  b: [1, no]\n  c: 'yes'\n")
    assert doc.value == {"a": {"b": [1, False], "c": "yes"}}
    assert doc.key_lines[("a",)] == 1 and doc.key_lines[("a", "b")] == 2
    assert doc.key_lines[("a", "b", 1)] == 2 and doc.key_lines[("a", "c")] == 3
    assert doc.plain_text[("a", "b", 1)] == "no"
    assert ("a", "c") not in doc.plain_text  # quoted: already text


def test_parse_scenario_accepts_bytes_and_refuses_garbage_types():
    data, problems = parse_scenario(BASE.encode("utf-8"), "b.yaml")
    assert data is not None and problems == []
    data, problems = parse_scenario(b"\xef\xbb\xbf" + BASE.encode("utf-8"), "bom.yaml")
    assert data is not None and problems == []
