"""MkDocs hook: links from a page to a file of the repository outside docs/.

Read in the repository, docs/ links to the runnable projects beside it
(`[examples/ml](../examples/ml/README.md)`); the site does not publish those files, so there
such a link becomes its text, which names the path in the repository. Only a link whose
target exists is rewritten: a link to a missing file is left alone, and the strict build
refuses it as broken.
"""

from __future__ import annotations

import os
import re
from typing import Any

_LINK = re.compile(r"\[(?P<text>[^\]\n]+)\]\((?P<target>\.\./[^)\s#]*)(?P<anchor>#[^)\s]*)?\)")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """The page's Markdown, with links that leave docs/ for an existing repository file
    replaced by their text."""
    docs_dir = os.path.realpath(config["docs_dir"])
    repo = os.path.dirname(docs_dir)
    page_dir = os.path.dirname(os.path.join(docs_dir, page.file.src_path))

    def replace(match: re.Match[str]) -> str:
        target = os.path.realpath(os.path.join(page_dir, match["target"]))
        inside_repo = target.startswith(repo + os.sep)
        outside_docs = not target.startswith(docs_dir + os.sep)
        if inside_repo and outside_docs and os.path.exists(target):
            return match["text"]
        return match.group(0)

    return _LINK.sub(replace, markdown)
