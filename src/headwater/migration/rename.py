"""The rename itself: dagster -> headwater, Dagster -> Headwater, DAGSTER -> HEADWATER.

Everywhere, inside longer names too (`my_dagster_assets` -> `my_headwater_assets`), except
inside web addresses: an `http://` or `https://` URL points at a page someone else names
(Dagster's docs, a GitHub repository), and renamed it would point at nothing. The rename
never produces "dagster", so it is idempotent. Imports nothing.
"""

from __future__ import annotations

import re

_CASES = {"dagster": "headwater", "Dagster": "Headwater", "DAGSTER": "HEADWATER"}
# A URL ends at whitespace, a quote or a closing bracket (Markdown links, HTML attributes).
_TOKEN = re.compile(r"(?P<url>https?://[^\s\"'<>()\[\]`]+)|(?P<word>dagster|Dagster|DAGSTER)")


def mentions_dagster(text: str) -> bool:
    """Whether the rename would change `text`."""
    return any(m.group("word") for m in _TOKEN.finditer(text))


def rename_text(text: str) -> tuple[str, int]:
    """`text` renamed, and the number of replacements."""
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        if match.group("url"):
            return match.group(0)
        count += 1
        return _CASES[match.group("word")]

    return _TOKEN.sub(replace, text), count


def rename_name(name: str) -> str:
    """A file or folder name renamed (`dagster.yaml` -> `headwater.yaml`)."""
    return rename_text(name)[0]
