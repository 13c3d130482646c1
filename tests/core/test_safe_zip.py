"""Hostile uploads: every one refused with a clear message; good ones read exactly."""

from __future__ import annotations

import io
import stat
import struct
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.safe_zip import (
    DEFAULT_LIMITS,
    UnsafeUpload,
    UploadLimits,
    build_zip,
    checked_texts,
    export_name,
    read_uploads,
)
from tests.factories import ROOT

SCENARIOS = sorted((ROOT / "scenarios" / "disqualifiers").glob("*.yaml"))[:3]
GOOD = "format: 1\nid: x\n"


def make_zip(members: list[tuple], compression=zipfile.ZIP_DEFLATED) -> bytes:
    """members: (name, bytes) or (ZipInfo, bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def problems_of(uploads, limits=DEFAULT_LIMITS) -> list[str]:
    texts, problems = read_uploads(uploads, limits)
    assert problems, "expected the upload to be refused"
    with pytest.raises(UnsafeUpload):
        checked_texts(uploads, limits)
    return problems


def test_real_scenarios_in_a_zip_and_loose_are_read_exactly():
    files = [(p.name, p.read_bytes()) for p in SCENARIOS]
    archive = make_zip([(f"bank/{name}", data) for name, data in files])
    texts, problems = read_uploads([("bank.zip", archive), files[0]])
    assert problems == []
    assert [name for name, _ in texts] == [f"bank.zip/bank/{n}" for n, _ in files] + [files[0][0]]
    assert texts[0][1] == files[0][1].decode("utf-8")


@pytest.mark.parametrize(
    "member",
    ["../evil.yaml", "a/../../evil.yaml", "/etc/evil.yaml", "C:/evil.yaml", "..\\evil.yaml"],
)
def test_path_traversal_is_refused(member):
    problems = problems_of([("up.zip", make_zip([(member, GOOD)]))])
    assert any("absolute path" in p or "'..'" in p for p in problems), problems


def test_symlinks_are_refused():
    link = zipfile.ZipInfo("link.yaml")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    problems = problems_of([("up.zip", make_zip([(link, "/etc/passwd")]))])
    assert problems == ["up.zip/link.yaml: symbolic links are not allowed"]


def test_special_files_are_refused():
    fifo = zipfile.ZipInfo("pipe.yaml")
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    assert "special files" in problems_of([("up.zip", make_zip([(fifo, GOOD)]))])[0]


def test_zip_bomb_by_ratio_is_refused():
    bomb = b"a" * 200_000  # compresses about a thousand times
    problems = problems_of([("bomb.zip", make_zip([("big.yaml", bomb)]))])
    assert "zip bomb" in problems[0] and "bomb.zip/big.yaml" in problems[0]


def test_zip_bomb_by_total_size_is_refused():
    members = [(f"s{n}.yaml", bytes(range(32, 127)) * 20) for n in range(5)]  # 1,900 bytes each
    limits = UploadLimits(max_uncompressed_bytes=5000)
    problems = problems_of([("many.zip", make_zip(members))], limits)
    assert problems == ["many.zip: expands to 9 KiB; at most 5 KiB (a zip bomb?)"]


def test_a_header_that_lies_about_its_size_is_refused():
    data = make_zip([("liar.yaml", b"x: " + b"y" * 5000)], compression=zipfile.ZIP_STORED)
    # Patch the uncompressed size (offset 22 in the local header, 24 in the central
    # directory entry) down to 10 bytes.
    data = bytearray(data)
    data[22:26] = struct.pack("<I", 10)
    central = data.find(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 10)
    problems = problems_of([("liar.zip", bytes(data))])
    assert "liar.zip/liar.yaml" in problems[0]


def test_oversized_files_are_refused():
    big = b"title: " + b"x" * (256 * 1024)
    assert "at most 256 KiB" in problems_of([("big.yaml", big)])[0]
    random_like = bytes((n * 7919) % 95 + 32 for n in range(300_000))  # barely compresses
    problems = problems_of([("big.zip", make_zip([("big.yaml", random_like)]))])
    assert "at most 256 KiB" in problems[0]


def test_total_upload_size_is_refused_before_reading():
    problems = problems_of([("a.yaml", b"x" * 600), ("b.yaml", b"x" * 600)], UploadLimits(1000))
    assert problems == ["the upload is 1 KiB; at most 1000 bytes at once"]


def test_too_many_files_are_refused():
    limits = UploadLimits(max_files=3)
    loose = [(f"s{n}.yaml", GOOD.encode()) for n in range(4)]
    assert "holds 4 scenario files; at most 3" in problems_of(loose, limits)[0]
    archive = make_zip([(f"s{n}.yaml", GOOD) for n in range(4)])
    assert "4 entries; at most 3" in problems_of([("a.zip", archive)], limits)[0]


def test_wrong_types_are_refused():
    assert problems_of([("notes.txt", b"hello")]) == [
        "notes.txt: only .yaml, .yml and .zip files are accepted"
    ]
    archive = make_zip([("ok.yaml", GOOD), ("readme.md", "# hi"), ("run.sh", "rm -rf /")])
    problems = problems_of([("a.zip", archive)])
    assert problems == [
        "a.zip/readme.md: only .yaml and .yml files are accepted",
        "a.zip/run.sh: only .yaml and .yml files are accepted",
    ]


def test_non_utf8_is_refused_with_its_line():
    problems = problems_of([("latin.yaml", b"format: 1\ntitle: caf\xe9\n")])
    assert problems == ["latin.yaml:2: is not UTF-8 text (save the file as UTF-8)"]


def test_binary_pretending_to_be_yaml_is_refused():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    assert problems_of([("image.yaml", png)]) == ["image.yaml: is binary data, not YAML text"]
    archive = make_zip([("image.yml", png)])
    assert problems_of([("a.zip", archive)]) == ["a.zip/image.yml: is binary data, not YAML text"]


def test_nested_zips_are_refused_by_name_and_by_content():
    inner = make_zip([("s.yaml", GOOD)])
    by_name = problems_of([("outer.zip", make_zip([("inner.zip", inner)]))])
    assert by_name == ["outer.zip/inner.zip: nested zip archives are not accepted"]
    by_content = problems_of([("outer.zip", make_zip([("inner.yaml", inner)]))])
    assert "nested zips are not accepted" in by_content[0]
    assert "is a zip archive" in problems_of([("sneaky.yaml", inner)])[0]


def test_a_zip_that_is_not_a_zip_is_refused():
    assert problems_of([("fake.zip", b"format: 1\n")]) == [
        "fake.zip: is not a readable zip archive"
    ]


def test_duplicate_members_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.yaml", GOOD)
        archive.writestr("A.yaml", GOOD)  # the same name to a case-blind file system
        with pytest.warns(UserWarning):
            archive.writestr("a.yaml", GOOD)
    problems = problems_of([("x.zip", buffer.getvalue())])
    assert problems == [
        "x.zip/A.yaml: the same name appears twice in the archive",
        "x.zip/a.yaml: the same name appears twice in the archive",
    ]


def test_encrypted_members_are_refused():
    data = bytearray(make_zip([("locked.yaml", GOOD)]))
    # Set bit 0 (encrypted) of the flags: offset 6 in the local header, 8 in the central one.
    data[6] |= 0x1
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1
    assert problems_of([("x.zip", bytes(data))]) == [
        "x.zip/locked.yaml: encrypted files are not accepted"
    ]


def test_every_problem_is_listed_not_just_the_first():
    uploads = [("a.txt", b""), ("b.yaml", b"\xff\xfe"), ("c.yaml", b"x" * 300_000)]
    assert len(problems_of(uploads)) == 3


def test_macos_metadata_is_skipped():
    archive = make_zip(
        [("bank/s.yaml", GOOD), ("__MACOSX/bank/._s.yaml", b"\x00\x05\x16\x07"), (".DS_Store", "")]
    )
    texts, problems = read_uploads([("mac.zip", archive)])
    assert problems == [] and [n for n, _ in texts] == ["mac.zip/bank/s.yaml"]


def test_nothing_uploaded():
    assert read_uploads([]) == ([], ["no files were uploaded"])


def test_export_round_trip():
    files = [(export_name("disqualifiers", f"id-{n}"), f"id: id-{n}\n") for n in range(3)]
    data = build_zip(files)
    assert data == build_zip(files)  # same input, same bytes
    texts, problems = read_uploads([("export.zip", data)])
    assert problems == []
    assert texts == [(f"export.zip/{name}", text) for name, text in files]


@given(st.text(max_size=60), st.text(max_size=60))
def test_export_names_are_never_paths(module, ident):
    name = export_name(module, ident)
    folder, file = name.split("/")
    assert file.endswith(".yaml") and ".." not in name and not name.startswith("/")
    assert all(c.isalnum() or c in "-." for c in folder + file)


@given(st.binary(max_size=300))
def test_any_bytes_as_yaml_are_read_exactly_or_refused(data):
    texts, problems = read_uploads([("x.yaml", data)])
    if problems:
        assert texts == [] and problems[0].startswith("x.yaml")
    else:
        assert texts == [("x.yaml", data.decode("utf-8-sig"))]


@given(st.lists(st.sampled_from(["a", "..", "b", "."]), min_size=1, max_size=5))
def test_any_member_path_with_dotdot_is_refused(parts):
    name = "/".join([*parts, "s.yaml"])
    texts, problems = read_uploads([("p.zip", make_zip([(name, GOOD)]))])
    if ".." in parts:
        assert texts == [] and any("'..'" in p for p in problems)
