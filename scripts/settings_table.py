"""Print the README's settings table from the Settings dataclass (so the two cannot drift).

python scripts/settings_table.py            # print the table
python scripts/settings_table.py --write    # replace the table in README.md
"""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

from ragchat.settings import ENV_ONLY, Settings

README = Path(__file__).resolve().parents[1] / "README.md"
HEAD = "| setting | env | default | what |\n|---|---|---|---|\n"


def table() -> str:
    rows = []
    defaults = Settings()
    for f in dataclasses.fields(Settings):
        env = f"`RAGCHAT_{f.name.upper()}`"
        if f.name in ENV_ONLY:
            env = " or ".join(f"`{v}`" for v in re.findall(r"[A-Z_]+", ENV_ONLY[f.name]))
            default = "empty"
        else:
            value = getattr(defaults, f.name)
            default = f"`{value!s}`" if value != "" else '`""`'
        help_text = f.metadata.get("help", "").replace("|", "\\|")
        rows.append(f"| `{f.name}` | {env} | {default} | {help_text} |")
    return HEAD + "\n".join(rows) + "\n"


def readme_table(text: str) -> str:
    start = text.index(HEAD)
    end = text.index("\n\n", start)
    return text[start : end + 1]


def main() -> None:
    if "--write" in sys.argv:
        text = README.read_text(encoding="utf-8")
        README.write_text(text.replace(readme_table(text), table()), encoding="utf-8")
    else:
        print(table(), end="")


if __name__ == "__main__":
    main()
