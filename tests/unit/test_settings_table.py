"""The README's settings table is generated from the Settings dataclass and matches it."""

from __future__ import annotations

import importlib.util

from tests.conftest import REPO


def test_readme_settings_table_matches_the_dataclass():
    spec = importlib.util.spec_from_file_location(
        "settings_table", REPO / "scripts" / "settings_table.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert module.readme_table(readme) == module.table(), (
        "README settings table is stale: run python scripts/settings_table.py --write"
    )
