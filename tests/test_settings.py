"""Every setting is documented, and bad values are refused with a plain message."""

from pathlib import Path

import pytest

from app.errors import SettingsError
from app.settings import Settings, load_settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _settings_table(readme: str) -> dict[str, list[str]]:
    """The rows of the README's "Settings" table: {setting: [default, meaning]}."""
    assert "\n## Settings\n" in readme, "README.md has no '## Settings' section"
    section = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_the_settings_table_is_read_from_the_readme():
    table = _settings_table(
        "intro\n## Settings\n\n| setting | default | meaning |\n|---|---|---|\n"
        "| `A_B` | `1` | what |\n\n## Next\n| `C` | x | y |\n"
    )
    assert table == {"A_B": ["`1`", "what"]}


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name):
    """Each field of app/settings.py is a row of the README's Settings table, filled in."""
    row = _settings_table(README).get(name.upper())
    assert row is not None, f"{name.upper()} is missing from the README's Settings table"
    assert len(row) == 2 and all(row), f"{name.upper()} needs a default and a meaning"


def test_bad_values_raise_settings_error(monkeypatch):
    monkeypatch.setenv("PASS_MARK", "120")
    with pytest.raises(SettingsError, match="PASS_MARK"):
        load_settings()


def test_defaults_are_laptop_friendly(monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    settings = load_settings()
    assert settings.effective_database_url.startswith("sqlite:///")
