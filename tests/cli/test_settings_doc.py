"""docs/settings.md is what the Settings class says, every setting has a meaning, and the
generator's fallback meanings cover only settings that still lack a description."""

from pathlib import Path

import pytest
from pydantic import Field

from jointinspect.cli import settings_doc
from jointinspect.cli.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "settings.md"
REGENERATE = ".venv/bin/python -m jointinspect.cli.settings_doc docs/settings.md"


def test_docs_settings_md_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == settings_doc.settings_markdown(), (
        f"docs/settings.md is stale: run `{REGENERATE}`"
    )


def test_every_setting_is_a_row_with_its_default() -> None:
    text = settings_doc.settings_markdown()
    for name in Settings.model_fields:
        assert f"| `JOINTINSPECT_{name.upper()}` |" in text
    assert "| `JOINTINSPECT_TRIGGER_RESPONSE_DAYS` | `10` | whole number, 1–60 |" in text
    assert "| `JOINTINSPECT_KEY` | not set | secret text |" in text


def test_fallback_meanings_only_for_settings_without_a_description() -> None:
    fields = Settings.model_fields
    for name in settings_doc.FALLBACK_MEANINGS:
        assert name in fields, f"{name} is no setting any more: drop its fallback meaning"
        assert not fields[name].description, (
            f"{name} has a description now: drop its fallback meaning"
        )


def test_a_setting_without_any_meaning_is_refused() -> None:
    with pytest.raises(ValueError, match="setting mystery has no description"):
        settings_doc.meaning("mystery", Field(default=1))  # type: ignore[arg-type]


def test_main_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "settings.md"
    assert settings_doc.main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == settings_doc.settings_markdown()
    assert [p.name for p in tmp_path.iterdir()] == ["settings.md"]
