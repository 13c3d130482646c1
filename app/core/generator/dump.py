"""YAML text for a generated scenario: stable key order, quoted time and channel.

A small emitter for the shapes a scenario has (mappings, lists, text, numbers,
booleans). PyYAML's representer costs about 2 ms per scenario, which alone would use
the whole generation budget; this writes the same data in a few microseconds. Texts are
written plain when YAML reads them back as the same text, as a folded block (``>-``)
when long, and double-quoted otherwise; ``time`` and ``channel`` are always quoted.
The tests load every generated file back and compare it with the data.
"""

from __future__ import annotations

import functools
import json
import re

import yaml

FOLD_WIDTH = 92  # long texts are folded into lines of about this width
QUOTED_KEYS = frozenset({"time", "channel"})
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"
# Characters YAML does not allow raw in a document (C0/C1 controls, DEL, BOM, surrogates).
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufeff\ud800-\udfff\ufffe\uffff]"
)
# In double quotes these are escaped too: YAML would read the raw ones as line breaks.
_ESCAPE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\ud800-\udfff\ufffe\uffff\u2028\u2029]"
)
_PLAIN_START_BAD = set("-?:,[]{}#&*!|>'\"%@`")
_FLOW_BAD = set(",[]{}?:#")  # conservative: such texts are quoted inside [ ]
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def _double(text: str) -> str:
    out = json.dumps(text, ensure_ascii=False)
    if _ESCAPE.search(out):
        out = _ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", out)
    return out


@functools.lru_cache(maxsize=8192)
def _plain_ok(text: str, flow: bool = False) -> bool:
    if not text or text != text.strip() or text[0] in _PLAIN_START_BAD:
        return False
    if "\n" in text or "\r" in text or "\t" in text or ": " in text or " #" in text:
        return False
    if text.endswith(":") or _UNPRINTABLE.search(text) or "\x85" in text:
        return False
    if "\u2028" in text or "\u2029" in text:
        return False
    if flow and any(c in _FLOW_BAD for c in text):
        return False
    return _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG


def _foldable(text: str) -> bool:
    # A folded block gives the text back exactly when it is one line of single spaces.
    return (
        text == text.strip()
        and "  " not in text
        and "\n" not in text
        and "\r" not in text
        and "\t" not in text
        and not _UNPRINTABLE.search(text)
        and not any(c in text for c in "\x85\u2028\u2029")
    )


def _fold(text: str, indent: str) -> str:
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > FOLD_WIDTH:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return ">-\n" + "\n".join(indent + part for part in lines)


def _scalar(value, key: str | None, indent: str, flow: bool = False) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} as YAML")
    if key in QUOTED_KEYS:
        return _double(value)
    if not flow and len(value) > FOLD_WIDTH and _foldable(value):
        return _fold(value, indent)
    if _plain_ok(value, flow):
        return value
    return _double(value)


@functools.lru_cache(maxsize=1024)
def _key(key) -> str:
    if not isinstance(key, str):
        raise TypeError("mapping keys must be text")
    return key if _KEY_RE.match(key) and _plain_ok(key) else _double(key)


def _flow(value) -> str:
    """Any value in flow style: [a, b], {k: v}; texts plain only when safe there."""
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    return _scalar(value, None, "", flow=True)


def _flow_list(items: list) -> str | None:
    """A short list of codes on one line ([weapons, threats]), else None for block style."""
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in items):
        return None
    text = _flow(items)
    return text if len(text) <= FOLD_WIDTH else None


def _mapping(data: dict, indent: str, out: list[str], first_prefix: str | None = None) -> None:
    child = indent + "  "
    for i, (key, value) in enumerate(data.items()):
        lead = first_prefix if (i == 0 and first_prefix is not None) else indent
        name = _key(key)
        if isinstance(value, dict):
            if not value:
                out.append(f"{lead}{name}: {{}}")
            else:
                out.append(f"{lead}{name}:")
                _mapping(value, child, out)
        elif isinstance(value, list):
            flow = _flow_list(value) if value else "[]"
            if flow is not None:
                out.append(f"{lead}{name}: {flow}")
            else:
                out.append(f"{lead}{name}:")
                _sequence(value, child, out)
        else:
            out.append(f"{lead}{name}: {_scalar(value, key, child)}")


def _sequence(items: list, indent: str, out: list[str]) -> None:
    child = indent + "  "
    for item in items:
        if isinstance(item, dict) and item:
            _mapping(item, child, out, first_prefix=indent + "- ")
        elif isinstance(item, dict):
            out.append(f"{indent}- {{}}")
        elif isinstance(item, list):
            out.append(f"{indent}- {_flow(item)}")
        else:
            out.append(f"{indent}- {_scalar(item, None, child)}")


def dump_scenario(data: dict) -> str:
    """The scenario as YAML text (keys in the order of ``data``), ending with a newline."""
    out: list[str] = []
    _mapping(data, "", out)
    return "\n".join(out) + "\n"
