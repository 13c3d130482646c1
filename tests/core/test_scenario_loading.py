"""Loading files and folders: walking, skipping templates, duplicate ids, unreadable files."""

from __future__ import annotations

from pathlib import Path

from app.core.scenario import LoadedScenario, load_paths, read_scenario_file, scenario_files
from tests.core.test_scenario_validation import BASE, sub

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _scenario(ident: str) -> str:
    return sub(2, f"id: {ident}")


def test_folders_are_walked_for_yaml_and_yml(tmp_path):
    _write(tmp_path / "a" / "one.yaml", _scenario("one"))
    _write(tmp_path / "a" / "b" / "two.yml", _scenario("two"))
    _write(tmp_path / "a" / "notes.txt", "not a scenario")
    _write(tmp_path / "a" / "THREE.YAML", _scenario("three"))
    loaded, problems = load_paths([tmp_path])
    assert problems == []
    assert sorted(s.data["id"] for s in loaded) == ["one", "three", "two"]
    assert all(isinstance(s, LoadedScenario) and s.text for s in loaded)


def test_templates_and_hidden_folders_are_skipped_but_named_files_are_not(tmp_path):
    template = _write(tmp_path / "templates" / "noise.yaml", "template: {a: 1}\n")
    _write(tmp_path / "x" / "templates" / "deep.yaml", "template: {a: 1}\n")
    _write(tmp_path / ".git" / "junk.yaml", "[")
    _write(tmp_path / "ok.yaml", _scenario("ok"))
    loaded, problems = load_paths([tmp_path])
    assert problems == [] and [s.data["id"] for s in loaded] == ["ok"]
    loaded, problems = load_paths([template])
    assert loaded == [] and problems and all(str(p).startswith(str(template)) for p in problems)


def test_a_named_file_is_read_whatever_its_name(tmp_path):
    path = _write(tmp_path / "scenario.txt", _scenario("txt-one"))
    loaded, problems = load_paths([path])
    assert problems == [] and loaded[0].data["id"] == "txt-one"


def test_the_same_file_twice_is_read_once(tmp_path):
    path = _write(tmp_path / "one.yaml", _scenario("one"))
    loaded, problems = load_paths([path, tmp_path, str(path)])
    assert problems == [] and len(loaded) == 1


def test_duplicate_id_names_both_files(tmp_path):
    first = _write(tmp_path / "a.yaml", _scenario("same"))
    second = _write(tmp_path / "b.yaml", "# a comment\n" + _scenario("same"))
    loaded, problems = load_paths([tmp_path])
    assert [s.path for s in loaded] == [str(first)]
    assert [str(p) for p in problems] == [f"{second}:3: duplicate id 'same' (also in {first}:2)"]


def test_missing_path_and_bad_files_are_problems_not_exceptions(tmp_path):
    good = _write(tmp_path / "good.yaml", _scenario("good"))
    bad = _write(tmp_path / "bad.yaml", sub(6, "difficulty: 9"))
    loaded, problems = load_paths([good, bad, tmp_path / "nope.yaml"])
    assert [s.data["id"] for s in loaded] == ["good"]
    assert sorted(str(p) for p in problems) == [
        f"{bad}:6: difficulty must be 1..5, not 9",
        f"{tmp_path / 'nope.yaml'}: no such file or folder",
    ]


def test_a_large_file_is_refused_without_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "big.yaml"
    with open(path, "wb") as handle:
        handle.truncate(300 * 1024 * 1024)  # sparse: 300 MiB that is never read
    opened = []
    real_open = open

    def spy(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy)
    text, problems = read_scenario_file(path)
    assert text is None and [str(p) for p in problems] == [f"{path}: file is larger than 256 KiB"]
    assert str(path) not in opened


def test_unreadable_file(tmp_path, monkeypatch):
    path = _write(tmp_path / "locked.yaml", BASE)
    real_open = open

    def refuse(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refuse)
    loaded, problems = load_paths([path])
    assert loaded == []
    assert [str(p) for p in problems] == [f"{path}: cannot read the file: Permission denied"]


def test_a_folder_given_as_a_file_path_and_a_broken_symlink(tmp_path):
    link = tmp_path / "dangling.yaml"
    link.symlink_to(tmp_path / "gone.yaml")
    files, problems = scenario_files([tmp_path])
    assert files == [link]
    loaded, problems = load_paths([tmp_path])
    assert loaded == [] and "cannot read the file" in str(problems[0])


def test_the_bank_validates():
    bank = Path(__file__).resolve().parents[2] / "scenarios"
    loaded, problems = load_paths([bank])
    assert [str(p) for p in problems if p.is_error] == []
    assert loaded


def test_bench_core_returns_positive_rates():
    from app.bench.core_rates import grade_per_s, validate_files_per_s

    assert validate_files_per_s(20) > 0
    assert grade_per_s(50) > 0
