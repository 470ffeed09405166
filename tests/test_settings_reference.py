"""Every setting is documented: `docs/settings.md` is made from the settings class, every
setting has a description, and every `MEDIAGATE_*` name the README and docs/ mention exists."""

from __future__ import annotations

import re
from pathlib import Path

from mediagate.config import Settings
from mediagate.settings_reference import markdown

ROOT = Path(__file__).parent.parent


def test_every_setting_says_what_it_does() -> None:
    missing = [name for name, f in Settings.model_fields.items() if not f.description]
    assert not missing, f"settings without a description: {missing}"


def test_the_reference_is_up_to_date() -> None:
    assert (ROOT / "docs" / "settings.md").read_text() == markdown(), (
        "docs/settings.md is stale: python -m mediagate.settings_reference > docs/settings.md"
    )
    for name in Settings.model_fields:
        assert f"`MEDIAGATE_{name.upper()}`" in markdown()


def test_the_docs_name_only_settings_that_exist() -> None:
    known = {f"MEDIAGATE_{name.upper()}" for name in Settings.model_fields}
    # Variables of the tests and the client, not of the service.
    others = {"MEDIAGATE_URL", "MEDIAGATE_API_KEY", "MEDIAGATE_TEST_POSTGRES_URL",
              "MEDIAGATE_UPDATE_SCREENSHOTS"}  # fmt: skip
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        named = set(re.findall(r"MEDIAGATE_[A-Z0-9_]*[A-Z0-9]", page.read_text()))
        unknown = {n for n in named - known - others if not n.endswith("_")}
        assert not unknown, f"{page.name} names settings that do not exist: {sorted(unknown)}"
