"""The import/export page (AppTest): real scenario files imported; hostile or invalid
uploads refused with every problem listed and nothing written; the export download."""

from __future__ import annotations

import io
import zipfile

import pytest
from streamlit.testing.v1 import AppTest

from tests.factories import ROOT
from tests.services.test_authoring_support import BANK, snapshot

PAGE = str(ROOT / "app" / "app_pages" / "trainer_import.py")
REAL = sorted((BANK / "crime-is-not-a-disqualifier").glob("*.yaml"))[:4]


def open_page(world, who="trainer-a") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user_id"] = world[who].user_id
    at.run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    at.file_uploader(key="import.files").set_value(
        [(name, data, "application/octet-stream") for name, data in files]
    )
    at.run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception, at.exception
    return at


def zipped(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_real_files_are_imported_and_exported(sqlite_db, world):
    at = open_page(world)
    assert any("Nothing to export" in i.value or "No scenario" in i.value for i in at.info)
    files = [(p.name, p.read_bytes()) for p in REAL]
    at = upload(at, [("bank.zip", zipped(files[:2])), *files[2:]])
    assert any(f"{len(REAL)} new" in s.value for s in at.success), [e.value for e in at.error]
    at.run()
    download = at.get("download_button")[0]
    assert f"Download {len(REAL)} scenario(s)" in download.proto.label


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("evil.zip", zipped([("../../evil.yaml", b"format: 1\n")]))], "'..' is not allowed"),
        # (A loose .txt never reaches the page: Streamlit refuses the extension itself.)
        ([("mixed.zip", zipped([("notes.txt", b"hello")]))], "only .yaml and .yml files"),
        ([("photo.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00")], "binary data"),
        ([("big.yaml", b"#" * 300_000)], "at most 256 KiB"),
    ],
    ids=["traversal", "wrong-type", "binary", "oversized"],
)
def test_hostile_uploads_are_refused_on_the_page(sqlite_db, world, files, message):
    at = open_page(world)
    before = snapshot()
    at = upload(at, files + [(REAL[0].name, REAL[0].read_bytes())])
    assert any("Nothing was imported" in e.value for e in at.error)
    listed = "\n".join(c.value for c in at.code)
    assert message in listed
    assert snapshot() == before


def test_an_invalid_scenario_is_listed_with_its_line(sqlite_db, world):
    at = open_page(world)
    before = snapshot()
    bad = REAL[0].read_text(encoding="utf-8").replace("difficulty: ", "difficulty: 8 #", 1)
    at = upload(at, [("bad.yaml", bad.encode()), (REAL[1].name, REAL[1].read_bytes())])
    line = next(n for n, text in enumerate(bad.splitlines(), 1) if text.startswith("difficulty"))
    assert f"bad.yaml:{line}: difficulty" in "\n".join(c.value for c in at.code)
    assert snapshot() == before
