"""Import through the authoring service: real files in, hostile uploads refused with every
problem listed and nothing written (the database is compared before and after)."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from app.errors import AccessDenied
from app.services import authoring
from app.services.bank import ImportRejected
from tests.services.test_authoring_support import BANK, KNIFE, LAUNDROMAT, snapshot, text_of

REAL = sorted((BANK / "disqualifiers").glob("*.yaml"))[:6]


def make_zip(members) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def real_members() -> list[tuple[str, bytes]]:
    return [(f"bank/{p.name}", p.read_bytes()) for p in REAL]


def test_real_files_loose_and_zipped_are_imported(database, world):
    trainer = world["trainer-a"]
    summary = authoring.import_uploads(
        actor=trainer,
        uploads=[("bank.zip", make_zip(real_members())), (KNIFE.name, KNIFE.read_bytes())],
    )
    assert summary.created == len(REAL) + 1
    rows = authoring.bank(actor=trainer)
    assert {r["key"] for r in rows} == {p.stem for p in REAL} | {KNIFE.stem}
    assert {r["source"] for r in rows} == {"authored"}
    assert authoring.bank(actor=world["trainer-b"]) == []  # only into the importer's agency
    again = authoring.import_uploads(actor=trainer, uploads=[(KNIFE.name, KNIFE.read_bytes())])
    assert (again.created, again.unchanged) == (0, 1)


def symlink_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(real_members()[0][0], real_members()[0][1])
        link = zipfile.ZipInfo("bank/passwd.yaml")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    return buffer.getvalue()


HOSTILE = {
    "path traversal": (
        [("up.zip", make_zip([*real_members(), ("../../app/evil.yaml", b"format: 1\n")]))],
        "a path with '..' is not allowed",
    ),
    "absolute path": (
        [("up.zip", make_zip([("/tmp/evil.yaml", b"format: 1\n")]))],
        "an absolute path is not allowed",
    ),
    "symlink": ([("up.zip", symlink_zip())], "symbolic links are not allowed"),
    "zip bomb": (
        [("bomb.zip", make_zip([*real_members(), ("bomb.yaml", b"#" * 250_000)]))],
        "zip bomb",
    ),
    "oversized file": ([("big.yaml", b"# " + b"x" * 300_000)], "at most 256 KiB"),
    "too many files": (
        [("many.zip", make_zip([(f"s{n}.yaml", b"format: 1\n") for n in range(501)]))],
        "at most 500",
    ),
    "wrong type": ([("notes.txt", b"hello"), (KNIFE.name, KNIFE.read_bytes())], "only .yaml"),
    "wrong member type": (
        [("up.zip", make_zip([*real_members(), ("run.sh", b"rm -rf /")]))],
        "only .yaml and .yml files",
    ),
    "non-UTF-8": ([("latin.yaml", "title: café\n".encode("latin-1"))], "not UTF-8"),
    "nested zip": (
        [("outer.zip", make_zip([("inner.zip", make_zip(real_members()))]))],
        "nested zip",
    ),
    "binary .yaml": (
        [("photo.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")],
        "binary data, not YAML",
    ),
    "total size": ([(f"f{n}.yaml", b"#" * 250_000) for n in range(22)], "at most 5.0 MB"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_uploads_are_refused_and_nothing_is_written(database, world, case):
    uploads, message = HOSTILE[case]
    before = snapshot()
    with pytest.raises(ImportRejected) as refused:
        authoring.import_uploads(actor=world["trainer-a"], uploads=uploads)
    assert any(message in p for p in refused.value.problems), refused.value.problems
    assert str(refused.value).endswith("nothing was imported")
    assert snapshot() == before


def test_one_invalid_scenario_rejects_the_whole_upload(database, world):
    before = snapshot()
    broken = text_of(LAUNDROMAT).replace("disposition: community_responder\n", "disposition: x\n")
    with pytest.raises(ImportRejected) as refused:
        authoring.import_uploads(
            actor=world["trainer-a"],
            uploads=[("bank.zip", make_zip(real_members())), ("broken.yaml", broken.encode())],
        )
    assert len(refused.value.problems) == 1
    assert refused.value.problems[0].startswith("broken.yaml:")
    assert snapshot() == before


def test_duplicate_ids_across_files_are_refused(database, world):
    before = snapshot()
    with pytest.raises(ImportRejected) as refused:
        authoring.import_uploads(
            actor=world["trainer-a"],
            uploads=[("a.yaml", KNIFE.read_bytes()), ("b.yaml", KNIFE.read_bytes())],
        )
    assert refused.value.problems == [
        "b.yaml: duplicate id 'disturbance-knife-0003' (also in a.yaml)"
    ]
    assert snapshot() == before


def test_scenarios_are_validated_with_the_agencys_protocol(database, world):
    # Agency b closes its hotline at night; a scenario routed to the hotline at 02:40
    # is valid under the default protocol but not under b's.
    authoring.save_protocol(
        actor=world["admin-b"],
        dispatch_model="external_hotline",
        eligible=[
            c["code"]
            for c in authoring.protocol_settings(actor=world["admin-b"])["call_types"]
            if c["eligible"]
        ],
        hotline_hours="08:00-22:00",
    )
    sample = (BANK.parent / "tests" / "fixtures" / "spec_sample.yaml").read_bytes()
    sample = sample.replace(b"module: disqualifier-screening", b"module: disqualifiers")
    authoring.import_uploads(actor=world["trainer-a"], uploads=[("s.yaml", sample)])
    before = snapshot()
    with pytest.raises(ImportRejected) as refused:
        authoring.import_uploads(actor=world["trainer-b"], uploads=[("s.yaml", sample)])
    assert any("external_hotline" in p for p in refused.value.problems), refused.value.problems
    assert snapshot() == before


@pytest.mark.parametrize("role", ["trainee", "supervisor", "admin"])
def test_only_trainers_import(database, world, role):
    before = snapshot()
    with pytest.raises(AccessDenied):
        authoring.import_uploads(
            actor=world[f"{role}-a"], uploads=[(KNIFE.name, KNIFE.read_bytes())]
        )
    assert snapshot() == before
