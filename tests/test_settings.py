"""Every setting is documented, and bad values are refused with a plain message."""

from pathlib import Path

import pytest

from app.errors import SettingsError
from app.settings import Settings, load_settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name):
    assert f"`{name.upper()}`" in README


def test_bad_values_raise_settings_error(monkeypatch):
    monkeypatch.setenv("PASS_MARK", "120")
    with pytest.raises(SettingsError, match="PASS_MARK"):
        load_settings()


def test_defaults_are_laptop_friendly(monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    settings = load_settings()
    assert settings.effective_database_url.startswith("sqlite:///")
