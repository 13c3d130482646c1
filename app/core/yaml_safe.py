"""Safe, bounded YAML reading that remembers the line of every key.

Hostile input is refused quickly and nothing is ever constructed from a tag:

- files over ``MAX_BYTES`` are refused before the parser sees them;
- the text must be UTF-8 (a leading BOM is allowed);
- the node tree is composed by PyYAML's own composer and safe resolver (``yaml.SafeLoader``;
  the parsing step runs in libyaml when PyYAML has it, which is about ten times faster,
  else in pure Python), counting alias nodes, all nodes and nesting depth while composing,
  so an alias bomb or a very deep document stops early; ``yaml.load`` is never called and
  no constructor for anything but plain scalars ever runs;
- only the standard YAML tags for text, numbers, booleans, null, timestamps, sequences
  and mappings are accepted; any other tag (``!!python/...``, ``!foo``, ``!!set``,
  ``!!binary``...) is refused; merge keys (``<<``) are refused;
- while converting nodes to plain Python values the total number of values produced is
  capped too, so aliases that fan out cannot blow up memory or time.

:func:`load_yaml` returns a :class:`YamlDocument`: the plain value plus, for every path
(a tuple of mapping keys and list indexes), the line of the key (or list item), the line
of the value, and the original text of plain scalars that YAML 1.1 read as something
other than text (so ``answer: No`` can be given back as the text ``"No"``).

Trusted files (the protocol, the training modules, the generator's call templates) are
read with :func:`read_yaml_file`: the same limits, and every problem, from a missing file
to a schema error the caller finds (:meth:`YamlFile.fail`), becomes one line
``FILE:LINE: message`` (:func:`located`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import Reader
from yaml.resolver import Resolver

try:  # libyaml's parser when PyYAML was built with it (about ten times faster)
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - depends on the PyYAML build
    _CParser = None

MAX_BYTES = 256 * 1024
MAX_ALIASES = 50
MAX_DEPTH = 30
MAX_NODES = 5_000
MAX_VALUES = 10_000  # at least MAX_NODES: a document without aliases is never too big

Path = tuple  # a tuple of str keys and int indexes

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {
    _TAG + "str",
    _TAG + "int",
    _TAG + "float",
    _TAG + "bool",
    _TAG + "null",
    _TAG + "timestamp",
    _TAG + "value",
}
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SEQ_TAG = _TAG + "seq"
_MAP_TAG = _TAG + "map"
_MERGE_TAG = _TAG + "merge"


class YamlError(Exception):
    """The text is not acceptable YAML; ``line`` is 1-based (0 when no line applies)."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class YamlIssue:
    """A problem found while converting that does not stop the reading (e.g. a duplicate key)."""

    line: int
    message: str
    fatal: bool = False


@dataclass
class YamlDocument:
    value: Any
    key_lines: dict[Path, int] = field(default_factory=dict)
    value_lines: dict[Path, int] = field(default_factory=dict)
    plain_text: dict[Path, str] = field(default_factory=dict)
    issues: list[YamlIssue] = field(default_factory=list)

    def line(self, path: Path) -> int:
        """Line of the key at ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.key_lines:
                return self.key_lines[path]
            path = path[:-1]
        return self.key_lines.get((), 1)


class _Limits:
    """Composer hook that stops composing when a limit is passed."""

    def _init_limits(self) -> None:
        self._depth = 0
        self._aliases = 0
        self._nodes = 0

    def compose_node(self, parent, index):  # PyYAML hook
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YamlError(
                    event.start_mark.line + 1,
                    f"too many aliases (more than {MAX_ALIASES}); write the values out",
                )
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise YamlError(event.start_mark.line + 1, f"too many YAML values (over {MAX_NODES})")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YamlError(event.start_mark.line + 1, f"nesting deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _PythonLoader(_Limits, yaml.SafeLoader):
    """yaml.SafeLoader (pure Python) with the limits."""

    def __init__(self, stream: str):
        yaml.SafeLoader.__init__(self, stream)
        self._init_limits()


if _CParser is not None:

    class _LibyamlLoader(_Limits, _CParser, Composer, Resolver):
        """libyaml's event parser (C) with PyYAML's own composer and safe resolver.

        Only parsing runs in C; composing (with the limits) and tag resolution are the
        same Python code as yaml.SafeLoader's, and nothing is constructed here.
        """

        get_single_node = Composer.get_single_node
        compose_document = Composer.compose_document

        def __init__(self, stream: str):
            _CParser.__init__(self, stream)
            Composer.__init__(self)
            Resolver.__init__(self)
            self._init_limits()


BACKENDS = ("libyaml", "python") if _CParser is not None else ("python",)
BACKEND = BACKENDS[0]  # the event parser used by load_yaml unless told otherwise


def _line_of_offset(text: str | bytes, offset: int) -> int:
    if isinstance(text, bytes):
        return text[:offset].count(b"\n") + 1
    return text[:offset].count("\n") + 1


def decode_text(raw: bytes | str) -> str:
    """UTF-8 text of ``raw`` after the size check; raises :class:`YamlError`."""
    if isinstance(raw, str):
        if len(raw) > MAX_BYTES or len(raw.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            raise YamlError(0, f"file is larger than {MAX_BYTES // 1024} KiB")
        return raw[1:] if raw.startswith("\ufeff") else raw
    if len(raw) > MAX_BYTES:
        raise YamlError(0, f"file is larger than {MAX_BYTES // 1024} KiB")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlError(_line_of_offset(raw, exc.start), "file is not UTF-8 text") from None


def _check_expansion(root: Node) -> None:
    """Refuse a node graph whose aliases loop or expand past ``MAX_VALUES`` values.

    Sizes are memoised per node, so this costs one visit per distinct node, however far
    the aliases would fan out when the graph is walked.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active or depth > MAX_DEPTH:
            raise YamlError(
                node.start_mark.line + 1,
                f"nesting deeper than {MAX_DEPTH} levels (an alias may refer to itself)",
            )
        active.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            for child in node.value:
                total += size(child, depth + 1)
        elif isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node, depth + 1) + size(value_node, depth + 1)
        active.discard(key)
        if total > MAX_VALUES:
            raise YamlError(node.start_mark.line + 1, "aliases expand to too much data")
        sizes[key] = total
        return total

    size(root, 0)


def _compose(text: str, backend: str) -> tuple[Node | None, int]:
    """The document's node graph and how many aliases it used."""
    loader = _LibyamlLoader(text) if backend == "libyaml" else _PythonLoader(text)
    try:
        return loader.get_single_node(), loader._aliases
    finally:
        loader.dispose()


def _yaml_error(exc: Exception, text: str) -> YamlError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        parts = [p for p in (exc.context, exc.problem) if p]
        detail = ", ".join(parts) if parts else "cannot be read"
        if "expected a single document" in detail:
            detail = "a scenario file holds exactly one YAML document"
        return YamlError(line, f"invalid YAML: {detail}")
    if isinstance(exc, yaml.reader.ReaderError):
        bad = Reader.NON_PRINTABLE.search(text)
        line = _line_of_offset(text, bad.start()) if bad else 1
        code = ord(bad.group()) if bad else 0
        return YamlError(line, f"invalid YAML: character U+{code:04X} is not allowed")
    return YamlError(1, f"invalid YAML: {exc}")


def _short(text: str, limit: int = 40) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


class _Converter:
    def __init__(self, text_keys: bool = False) -> None:
        self.doc = YamlDocument(value=None)
        self._constructor = yaml.constructor.SafeConstructor()  # reads scalars only
        self._values = 0
        self._fatal = False
        self._text_keys = text_keys

    def _issue(self, line: int, message: str, fatal: bool = False) -> None:
        self.doc.issues.append(YamlIssue(line, message, fatal))
        self._fatal = self._fatal or fatal

    def convert(self, node: Node, path: Path, depth: int) -> Any:
        self._values += 1
        if self._values > MAX_VALUES:
            raise YamlError(node.start_mark.line + 1, "aliases expand to too much data")
        if depth > MAX_DEPTH:
            raise YamlError(
                node.start_mark.line + 1,
                f"nesting deeper than {MAX_DEPTH} levels (an alias may refer to itself)",
            )
        line = node.start_mark.line + 1
        self.doc.value_lines.setdefault(path, line)
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ_TAG:
                self._issue(line, f"tag {_tag_name(node.tag)} is not allowed", fatal=True)
                return None
            items = []
            for index, child in enumerate(node.value):
                child_path = (*path, index)
                self.doc.key_lines.setdefault(child_path, child.start_mark.line + 1)
                items.append(self.convert(child, child_path, depth + 1))
            return items
        if isinstance(node, MappingNode):
            if node.tag != _MAP_TAG:
                self._issue(line, f"tag {_tag_name(node.tag)} is not allowed", fatal=True)
                return None
            result: dict[str, Any] = {}
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                if not isinstance(key_node, ScalarNode):
                    self._issue(key_line, "a key must be plain text, not a list or mapping")
                    continue
                if key_node.tag == _MERGE_TAG:
                    self._issue(key_line, "merge keys (<<) are not supported; write the keys out")
                    continue
                if key_node.tag not in _SCALAR_TAGS:
                    self._issue(key_line, f"tag {_tag_name(key_node.tag)} is not allowed", True)
                    continue
                key = self._scalar(key_node, None)
                if self._text_keys and key is not None and not isinstance(key, str):
                    key = key_node.value  # `no: 10` keys "no", as written
                if not isinstance(key, str):
                    shown = key_node.value
                    self._issue(key_line, f"key '{_short(shown)}' must be text (put it in quotes)")
                    continue
                if key in first_line:
                    self._issue(
                        key_line,
                        f"duplicate key '{_short(key)}' (first at line {first_line[key]})",
                    )
                first_line[key] = key_line
                child_path = (*path, key)
                self.doc.key_lines[child_path] = key_line
                self.doc.value_lines.pop(child_path, None)
                result[key] = self.convert(value_node, child_path, depth + 1)
            return result
        raise YamlError(line, "invalid YAML node")  # pragma: no cover - PyYAML has 3 kinds

    def _scalar(self, node: ScalarNode, path: Path | None) -> Any:
        tag = node.tag
        line = node.start_mark.line + 1
        if tag not in _SCALAR_TAGS:
            self._issue(line, f"tag {_tag_name(tag)} is not allowed", fatal=True)
            return None
        if tag in (_TAG + "timestamp", _TAG + "value"):
            return node.value  # dates are kept as the text written
        try:
            value = self._constructor.construct_object(node, deep=True)
        except Exception:  # noqa: BLE001 - any bad scalar is a plain problem
            self._issue(line, f"value '{_short(node.value)}' is not a valid {_tag_name(tag)}")
            return None
        if isinstance(value, str):
            bad = _BAD_CHARS.search(value)
            if bad:
                code = ord(bad.group())
                self._issue(
                    line, f"text holds a character that is not allowed (U+{code:04X})", True
                )
                return None
        if path is not None and not isinstance(value, str) and not node.style:
            self.doc.plain_text[path] = node.value
        return value


def load_yaml(
    raw: bytes | str, backend: str | None = None, *, text_keys: bool = False
) -> YamlDocument:
    """Read one YAML document safely; raises :class:`YamlError` for unusable input.

    Problems that do not make the document unreadable (a duplicate key, a key that is
    not text) are returned in ``issues``; an issue with ``fatal=True`` (a refused tag)
    means the value must not be used. With ``text_keys`` a plain key that YAML 1.1 reads
    as something else (``yes``, ``no``, ``911``) is kept as the text written instead.
    """
    text = decode_text(raw)
    try:
        node, aliases = _compose(text, backend or BACKEND)
    except YamlError:
        raise
    except RecursionError:
        raise YamlError(1, f"nesting deeper than {MAX_DEPTH} levels") from None
    except Exception as exc:  # noqa: BLE001 - every parser failure becomes one line
        raise _yaml_error(exc, text) from None
    if node is None:
        raise YamlError(1, "file is empty")
    if aliases:  # without aliases the composer's own limits (nodes, depth) already hold
        _check_expansion(node)
    converter = _Converter(text_keys)
    converter.doc.key_lines[()] = node.start_mark.line + 1
    try:
        converter.doc.value = converter.convert(node, (), 0)
    except RecursionError:
        raise YamlError(1, f"nesting deeper than {MAX_DEPTH} levels") from None
    return converter.doc


def safe_load(raw: bytes | str) -> Any:
    """Plain value of a YAML text with the same limits; raises :class:`YamlError`.

    The first issue (duplicate key, refused tag...) is raised too.
    """
    doc = load_yaml(raw)
    if doc.issues:
        issue = doc.issues[0]
        raise YamlError(issue.line, issue.message)
    return doc.value


# ----------------------------------------------------------------------------- trusted files

_KEY_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def located(file: object, line: int, message: str) -> str:
    """``FILE:LINE: message``, or ``FILE: message`` when no line applies (``line`` 0)."""
    return f"{file}:{line}: {message}" if line else f"{file}: {message}"


def dotted_keys(text: str) -> Path:
    """The path written ``"callers[0].relation"``: ``("callers", 0, "relation")``."""
    return tuple(int(index) if index else name for name, index in _KEY_PART.findall(text))


@dataclass(frozen=True)
class YamlFile:
    """A trusted YAML file read by :func:`read_yaml_file`, with the line of every key."""

    name: str  # the file as messages name it
    doc: YamlDocument
    error: Callable[[str], Exception]  # the loader's error class (a UserError)

    @property
    def value(self) -> Any:
        return self.doc.value

    def line(self, keys: Path | str) -> int:
        """Line of ``keys`` (a path, or its dotted text), or of its nearest ancestor."""
        return self.doc.line(dotted_keys(keys) if isinstance(keys, str) else keys)

    def fail(self, keys: Path | str, message: str) -> Exception:
        """The loader's error for a problem at ``keys``: ``FILE:LINE: message``."""
        return self.error(located(self.name, self.line(keys), message))


def read_text_file(
    path: str | FilePath, error: Callable[[str], Exception], name: str | None = None
) -> str:
    """The text of a trusted file: at most ``MAX_BYTES``, UTF-8.

    Raises ``error("FILE: message")`` (a missing file, an unreadable one, too large, not
    UTF-8); ``name`` is how messages name the file (default: the path).
    """
    path = FilePath(path)
    name = str(path) if name is None else name
    try:
        if path.stat().st_size > MAX_BYTES:
            raise error(located(name, 0, f"file is larger than {MAX_BYTES // 1024} KiB"))
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(located(name, 0, "file is missing")) from None
    except OSError as exc:
        raise error(located(name, 0, f"cannot read: {exc.strerror or exc}")) from None
    try:
        return decode_text(raw)
    except YamlError as exc:
        raise error(located(name, exc.line, exc.message)) from None


def read_yaml_file(
    path: str | FilePath,
    error: Callable[[str], Exception],
    *,
    name: str | None = None,
    text_keys: bool = False,
) -> YamlFile:
    """Read a trusted YAML file with :func:`load_yaml`'s limits and lines.

    Any problem reading it (see :func:`read_text_file`), invalid YAML, or the first
    issue (a duplicate key, a refused tag...) raises ``error("FILE:LINE: message")``;
    the caller reports its own schema problems the same way with :meth:`YamlFile.fail`.
    """
    name = str(path) if name is None else name
    text = read_text_file(path, error, name)
    try:
        doc = load_yaml(text, text_keys=text_keys)
    except YamlError as exc:
        raise error(located(name, exc.line, exc.message)) from None
    if doc.issues:
        issue = doc.issues[0]
        raise error(located(name, issue.line, issue.message))
    return YamlFile(name, doc, error)
