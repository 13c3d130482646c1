"""Uploaded scenario files and zips, read without trusting the browser or the archive.

:func:`read_uploads` takes what ``st.file_uploader`` handed over (names and bytes) and
returns the scenario texts inside, or every reason to refuse them. Nothing is written
to disk: archives are read in memory through :mod:`zipfile`, member by member, with
every size checked before and while reading (a header may lie about its sizes).

What is refused, each with one plain line naming the file:

- more than :attr:`UploadLimits.max_total_bytes` uploaded in all (checked first);
- an upload that is not ``.yaml``/``.yml``/``.zip`` (the uploader's own type filter is
  only a convenience in the browser; the names and contents are checked again here);
- a ``.zip`` that is not a readable zip archive, or a ``.yaml`` that is one;
- more than :attr:`UploadLimits.max_files` scenario files (zip members count);
- zip members with an absolute path, a drive letter, a ``..`` part or a NUL byte (path
  traversal), symbolic links or other special files (mode bits in ``external_attr``),
  nested zips (by name or by content), encrypted members, compression other than
  stored/deflate, a name that appears twice, any member that is not ``.yaml``/``.yml``;
- a file larger than :attr:`UploadLimits.max_file_bytes` (256 KiB, the scenario
  format's limit), archives whose members add up to more than
  :attr:`UploadLimits.max_uncompressed_bytes`, and members that expand more than
  :attr:`UploadLimits.max_ratio` times (zip bombs);
- text that is not UTF-8, or is binary (NUL bytes, other control characters).

Decision: the folder ``__MACOSX/`` and ``.DS_Store`` files that macOS Finder adds to
every zip it makes are skipped (they still count towards the entry limit); refusing
them would refuse every zip made on a Mac, and nothing in them is ever read.

:func:`build_zip` writes an export archive (``<module>/<id>.yaml``) with fixed
timestamps, so the same scenarios always give the same bytes.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.core.yaml_safe import MAX_BYTES
from app.errors import UserError

SCENARIO_SUFFIXES = (".yaml", ".yml")
ZIP_SUFFIX = ".zip"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
SKIPPED_PARTS = ("__MACOSX",)
SKIPPED_NAMES = (".DS_Store",)
_ALLOWED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# C0 controls other than tab, newline and carriage return: never in a text file.
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_SAFE_PART = re.compile(r"[^a-z0-9-]+")
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class UploadLimits:
    """How much one import may hold. Defaults suit a bank of a few hundred scenarios."""

    max_total_bytes: int = 5 * 1024 * 1024  # everything uploaded at once, as sent
    max_files: int = 500  # scenario files, counting zip members (entries for zips)
    max_file_bytes: int = MAX_BYTES  # one scenario file (256 KiB, as the format says)
    max_uncompressed_bytes: int = 20 * 1024 * 1024  # all members of all zips, expanded
    max_ratio: float = 100.0  # expanded size / compressed size of one member


DEFAULT_LIMITS = UploadLimits()


class UnsafeUpload(UserError):
    """The upload was refused; ``problems`` lists every reason, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) with the upload; nothing was imported")


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KiB"
    return f"{n} bytes"


def _display(name: str) -> str:
    """A name safe to print in one line (no control characters, not endless)."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in name)
    return clean if len(clean) <= 120 else clean[:117] + "..."


def _suffix(name: str) -> str:
    lower = name.lower()
    for suffix in (*SCENARIO_SUFFIXES, ZIP_SUFFIX):
        if lower.endswith(suffix):
            return suffix
    return ""


def _is_zip_bytes(data: bytes) -> bool:
    return data[:4] in ZIP_MAGIC


def decode_scenario(name: str, data: bytes) -> tuple[str | None, str | None]:
    """(text, None) for UTF-8 scenario text, else (None, the reason)."""
    if _is_zip_bytes(data):
        return None, f"{name}: is a zip archive, not YAML text (nested zips are not accepted)"
    if _BINARY.search(data):
        return None, f"{name}: is binary data, not YAML text"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, f"{name}:{line}: is not UTF-8 text (save the file as UTF-8)"
    return text, None


def _member_problem(info: zipfile.ZipInfo, shown: str) -> str | None:
    """Why an archive member may not be read at all (None when it may)."""
    raw = info.filename
    if "\x00" in raw:
        return f"{shown}: a name with a NUL byte is not allowed"
    name = raw.replace("\\", "/")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if name.startswith("/") or _DRIVE.match(name):
        return f"{shown}: an absolute path is not allowed"
    if ".." in parts:
        return f"{shown}: a path with '..' is not allowed"
    mode = (info.external_attr >> 16) & 0xFFFF
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        return f"{shown}: symbolic links are not allowed"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return f"{shown}: special files are not allowed"
    if info.flag_bits & 0x1:
        return f"{shown}: encrypted files are not accepted"
    return None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes of a member; whatever its header claims."""
    with archive.open(info) as handle:
        return handle.read(limit + 1)


def _read_zip(
    upload_name: str, data: bytes, limits: UploadLimits, budget: list[int]
) -> tuple[list[tuple[str, str]], list[str], int]:
    """Texts of one archive, its problems and its number of scenario files.

    ``budget`` is a one-item list holding the expanded bytes still allowed across all
    archives of this upload.
    """
    problems: list[str] = []
    texts: list[tuple[str, str]] = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return [], [f"{upload_name}: is not a readable zip archive"], 0
    if len(infos) > limits.max_files:
        return [], [f"{upload_name}: holds {len(infos)} entries; at most {limits.max_files}"], 0
    declared = sum(max(i.file_size, 0) for i in infos)
    if declared > limits.max_uncompressed_bytes:
        return (
            [],
            [
                f"{upload_name}: expands to {_size(declared)}; at most "
                f"{_size(limits.max_uncompressed_bytes)} (a zip bomb?)"
            ],
            0,
        )
    seen: set[str] = set()
    readable: list[tuple[zipfile.ZipInfo, str]] = []
    for info in infos:
        shown = f"{upload_name}/{_display(info.filename)}"
        problem = _member_problem(info, shown)
        if problem:
            problems.append(problem)
            continue
        name = info.filename.replace("\\", "/")
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if any(p in SKIPPED_PARTS for p in parts) or (parts and parts[-1] in SKIPPED_NAMES):
            continue  # macOS Finder metadata, never read
        if info.is_dir() or name.endswith("/"):
            continue
        key = "/".join(parts).lower()
        if key in seen:
            problems.append(f"{shown}: the same name appears twice in the archive")
            continue
        seen.add(key)
        suffix = _suffix(name)
        if suffix == ZIP_SUFFIX:
            problems.append(f"{shown}: nested zip archives are not accepted")
            continue
        if suffix not in SCENARIO_SUFFIXES:
            problems.append(f"{shown}: only .yaml and .yml files are accepted")
            continue
        if info.compress_type not in _ALLOWED_METHODS:
            problems.append(f"{shown}: compression method {info.compress_type} is not accepted")
            continue
        if info.file_size > limits.max_file_bytes:
            problems.append(
                f"{shown}: is {_size(info.file_size)}; at most {_size(limits.max_file_bytes)}"
            )
            continue
        if info.file_size / max(info.compress_size, 1) > limits.max_ratio:
            problems.append(
                f"{shown}: expands {info.file_size / max(info.compress_size, 1):.0f} times "
                f"(at most {limits.max_ratio:.0f}); refused as a possible zip bomb"
            )
            continue
        readable.append((info, shown))
    count = len(readable)
    if problems:
        return [], problems, count
    for info, shown in readable:
        limit = min(limits.max_file_bytes, budget[0])
        try:
            raw = _read_member(archive, info, limit)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
            problems.append(f"{shown}: cannot be read from the archive ({_display(str(exc))})")
            continue
        except NotImplementedError:
            problems.append(f"{shown}: uses a zip feature that is not accepted")
            continue
        if len(raw) > limit:
            if limit < limits.max_file_bytes:
                problems.append(
                    f"{shown}: the archive expands to more than "
                    f"{_size(limits.max_uncompressed_bytes)} (a zip bomb?)"
                )
            else:
                problems.append(
                    f"{shown}: is larger than {_size(limits.max_file_bytes)} once expanded "
                    "(its header says otherwise)"
                )
            continue
        budget[0] -= len(raw)
        text, problem = decode_scenario(shown, raw)
        if problem:
            problems.append(problem)
        elif text is not None:
            texts.append((shown, text))
    return texts, problems, count


def read_uploads(
    uploads: Sequence[tuple[str, bytes]], limits: UploadLimits = DEFAULT_LIMITS
) -> tuple[list[tuple[str, str]], list[str]]:
    """The scenario texts in ``uploads`` [(file name, bytes)], and every problem.

    Use the texts only when the problems are empty: an upload is all or nothing.
    Names of archive members are shown as ``archive.zip/folder/file.yaml``.
    """
    if not uploads:
        return [], ["no files were uploaded"]
    total = sum(len(data) for _, data in uploads)
    if total > limits.max_total_bytes:
        return [], [
            f"the upload is {_size(total)}; at most {_size(limits.max_total_bytes)} at once"
        ]
    texts: list[tuple[str, str]] = []
    problems: list[str] = []
    files = 0
    budget = [limits.max_uncompressed_bytes]
    for raw_name, data in uploads:
        # Browsers send a bare file name; anything path-like is reduced to its last part.
        name = _display(raw_name.replace("\\", "/").rsplit("/", 1)[-1]) or "(no name)"
        suffix = _suffix(name)
        if suffix == ZIP_SUFFIX:
            found, found_problems, count = _read_zip(name, data, limits, budget)
            texts += found
            problems += found_problems
            files += count
            continue
        if suffix not in SCENARIO_SUFFIXES:
            problems.append(f"{name}: only .yaml, .yml and .zip files are accepted")
            continue
        files += 1
        if len(data) > limits.max_file_bytes:
            problems.append(
                f"{name}: is {_size(len(data))}; at most {_size(limits.max_file_bytes)}"
            )
            continue
        text, problem = decode_scenario(name, data)
        if problem:
            problems.append(problem)
        elif text is not None:
            texts.append((name, text))
    if files > limits.max_files:
        problems.insert(0, f"the upload holds {files} scenario files; at most {limits.max_files}")
    return texts, problems


def checked_texts(
    uploads: Sequence[tuple[str, bytes]], limits: UploadLimits = DEFAULT_LIMITS
) -> list[tuple[str, str]]:
    """:func:`read_uploads`, raising :class:`UnsafeUpload` when there is any problem."""
    texts, problems = read_uploads(uploads, limits)
    if problems:
        raise UnsafeUpload(problems)
    return texts


def _part(value: object, fallback: str) -> str:
    text = _SAFE_PART.sub("-", str(value or "").lower()).strip("-")
    return text[:100] or fallback


def export_name(module: object, scenario_id: object) -> str:
    """``<module>/<id>.yaml`` with both parts reduced to ``[a-z0-9-]`` (never a path)."""
    return f"{_part(module, 'other')}/{_part(scenario_id, 'scenario')}.yaml"


def build_zip(files: Iterable[tuple[str, str]]) -> bytes:
    """A deflated zip of (name, text) with fixed timestamps and regular-file modes."""
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files:
            base, n = name, 1
            while name in used:
                n += 1
                name = base.removesuffix(".yaml") + f"-{n}.yaml"
            used.add(name)
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()
