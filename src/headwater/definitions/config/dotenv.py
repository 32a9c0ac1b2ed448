"""Environment variables with the working directory's `.env` file behind them.

As in Dagster, a `.env` file in the directory headwater runs from supplies environment
variables to `EnvVar`, `{"env": NAME}` run config and `StringSource` fields. A variable set
in the real environment always wins over the file. `apply_dotenv()` copies the file's values
into `os.environ` (again without overriding) for the code a command loads, so that
`os.getenv` in user code sees them too.

The file is read again only when its modification time changes. Lines are `NAME=value`,
optionally prefixed by `export`; `#` starts a comment (outside quotes); single-quoted values
are literal, double-quoted ones understand `\\n`, `\\t`, `\\"` and `\\\\`. Imports nothing
of headwater.
"""

from __future__ import annotations

import os
import re

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_CACHE: dict[str, tuple[float, dict[str, str]]] = {}


def parse_dotenv(text: str) -> dict[str, str]:
    """The variables a `.env` file's text sets; lines that set nothing are skipped."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            continue
        name, raw = match.groups()
        values[name] = _value(raw)
    return values


def _value(raw: str) -> str:
    if raw[:1] == "'" and raw.count("'") >= 2:
        return raw[1:raw.index("'", 1)]
    if raw[:1] == '"':
        out: list[str] = []
        index = 1
        while index < len(raw):
            char = raw[index]
            if char == "\\" and index + 1 < len(raw):
                nxt = raw[index + 1]
                out.append(_ESCAPES.get(nxt, "\\" + nxt))
                index += 2
                continue
            if char == '"':
                break
            out.append(char)
            index += 1
        return "".join(out)
    # An unquoted value ends at a comment that follows whitespace.
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def dotenv_values(directory: str | None = None) -> dict[str, str]:
    """The variables of `directory`'s `.env` (the working directory by default); {} without one."""
    path = os.path.join(directory or os.getcwd(), ".env")
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return {}
    cached = _CACHE.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    with open(path, encoding="utf-8") as handle:
        values = parse_dotenv(handle.read())
    _CACHE[path] = (mtime, values)
    return values


def get_env(name: str, default: str | None = None) -> str | None:
    """Environment variable `name`: the real environment first, then `.env`, then `default`."""
    value = os.environ.get(name)
    if value is not None:
        return value
    return dotenv_values().get(name, default)


def apply_dotenv(directory: str | None = None) -> list[str]:
    """Copy the `.env` variables that the environment lacks into `os.environ`; their names."""
    added = []
    for name, value in dotenv_values(directory).items():
        if name not in os.environ:
            os.environ[name] = value
            added.append(name)
    return added
