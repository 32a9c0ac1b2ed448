"""The string syntax of asset selections: a recursive-descent parser from text such as
`"group:marts and not kind:dbt"` or `"2+key:orders+"` to an AssetSelection.

The grammar is in `selection.py`'s docstring. The syntax is sugar for the public
constructors and operators of AssetSelection, so the parser builds every selection
through the class that `AssetSelection.from_string` hands it; it imports no selection
class itself (selection.py imports this module). Imports `key`, `errors` and the stdlib.
"""

from __future__ import annotations

import operator
import re
from functools import reduce
from typing import TYPE_CHECKING

from headwater.definitions.key import AssetKey
from headwater.errors import HeadwaterInvalidSubsetError

if TYPE_CHECKING:
    from headwater.definitions.assets.selection import AssetSelection


# A classic clause is one whitespace-free token: optional '*' or '+'s, a key, optional '*' or '+'s.
_CLASSIC = re.compile(r"(\*|\++)?([A-Za-z0-9_\-.@/]+)(\*|\++)?(?=$|[\s,)])")
_BARE_KEY = re.compile(r"[A-Za-z0-9_\-.@/]+")
_ATTRIBUTE = re.compile(r"([A-Za-z_]+):")
_WORD = re.compile(r"[A-Za-z_]+")
_NUMBER = re.compile(r"\d+")
_KEYWORDS = ("and", "or", "not")
_FUNCTIONS = ("roots", "sinks")
_UNSUPPORTED = ("status", "column", "table_name", "column_tag", "changed_in_branch")
_ATTRIBUTES = ("key", "key_substring", "group", "tag", "owner", "kind", "code_location")
_VALUE_STOP = frozenset(' \t\r\n()"+,')
_EXAMPLES = '"key:raw/orders", "group:marts and not kind:dbt", "2+key:orders+", "*orders" or "roots(group:staging)"'


def parse_selection(text: str, include_sources: bool, make: type[AssetSelection]) -> AssetSelection:
    """The selection `text` describes, built with `make`'s constructors (AssetSelection)."""
    return _Parser(text, include_sources, make).parse()


class _Parser:
    """Recursive descent over the text, one character position at a time.

    or_expr  := and_expr (("or" | "," | <space>) and_expr)*
    and_expr := not_expr ("and" not_expr)*
    not_expr := "not" not_expr | traversal
    traversal:= CLASSIC | [N]"+"? primary "+"[N]?
    primary  := "(" or_expr ")" | ("roots"|"sinks") "(" or_expr ")" | attr ":" value | "*" | KEY
    """

    def __init__(self, text: str, include_sources: bool, make: type[AssetSelection]):
        self.make = make
        self.text = text
        self.pos = 0
        self.include_sources = include_sources

    def parse(self) -> AssetSelection:
        if not self.text.strip():
            raise self._error("expected an asset selection", found="an empty string")
        try:
            selection = self._or_expr()
            self._skip_ws()
            if self.pos < len(self.text):
                raise self._error("expected 'and', 'or' or the end of the selection")
            return selection
        except HeadwaterInvalidSubsetError:
            # A key spelled like a keyword ("not", "and+") is still a classic clause.
            self.pos = len(self.text) - len(self.text.lstrip())
            whole = _CLASSIC.match(self.text, self.pos)
            if whole and whole.end() == len(self.text.rstrip()):
                return self._classic(whole)
            raise

    # -- characters ------------------------------------------------------------

    def _skip_ws(self) -> bool:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.pos > start

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _keyword(self, word: str) -> bool:
        """Consume `word` (any case) when it stands alone at the current position."""
        match = _WORD.match(self.text, self.pos)
        if match and match.group().lower() == word:
            after = self.text[match.end() : match.end() + 1]
            if after == "" or after.isspace() or after == "(":
                self.pos = match.end()
                return True
        return False

    def _at_operand_start(self) -> bool:
        char = self._peek()
        return char != "" and char not in "),"

    def _error(self, expected: str, found: str = "") -> HeadwaterInvalidSubsetError:
        if not found:
            found = repr(self.text[self.pos :][:20]) if self.pos < len(self.text) else "the end"
        return HeadwaterInvalidSubsetError(
            f"Cannot parse asset selection {self.text!r} at position {self.pos}: {expected}, "
            f"found {found}.\n    {self.text}\n    {' ' * self.pos}^\n"
            f"Selections look like {_EXAMPLES}."
        )

    # -- grammar -----------------------------------------------------------------

    def _or_expr(self) -> AssetSelection:
        parts = [self._and_expr()]
        while True:
            self._skip_ws()
            if not self._at_operand_start() and self._peek() != ",":
                return reduce(operator.or_, parts)
            if self._keyword("or"):
                parts.append(self._and_expr())
            elif self._peek() == ",":
                self.pos += 1
                parts.append(self._and_expr())
            else:
                parts.append(self._and_expr())

    def _and_expr(self) -> AssetSelection:
        left = self._not_expr()
        while True:
            mark = self.pos
            self._skip_ws()
            if not self._keyword("and"):
                self.pos = mark
                return left
            left = left & self._not_expr()

    def _not_expr(self) -> AssetSelection:
        self._skip_ws()
        if self._keyword("not"):
            return self.make.all(self.include_sources) - self._not_expr()
        return self._traversal()

    def _traversal(self) -> AssetSelection:
        self._skip_ws()
        if not self._at_operand_start():
            raise self._error("expected an asset selection")
        classic = _CLASSIC.match(self.text, self.pos)
        if classic and self._is_classic(classic):
            return self._classic(classic)
        has_up, up_depth = False, None
        number = _NUMBER.match(self.text, self.pos)
        if number and self.text[number.end() : number.end() + 1] == "+":
            has_up, up_depth = True, int(number.group())
            self.pos = number.end() + 1
        elif self._peek() == "+":
            has_up = True
            self.pos += 1
        if has_up:
            self._skip_ws()
        primary = self._primary()
        has_down, down_depth = self._postfix_plus()
        parts: list[AssetSelection] = []
        if has_up:
            parts.append(primary.upstream(up_depth))
        if has_down:
            parts.append(primary.downstream(down_depth))
        return reduce(operator.or_, parts) if parts else primary

    def _postfix_plus(self) -> tuple[bool, int | None]:
        """Consume a '+' or '+N' after an operand; "a +b" is two clauses, "a +" and "a + b" are not."""
        mark = self.pos
        spaced = self._skip_ws()
        nxt = self.text[self.pos + 1 : self.pos + 2]
        if self._peek() != "+" or (spaced and nxt and not nxt.isspace() and nxt not in "),"):
            self.pos = mark
            return False, None
        self.pos += 1
        number = _NUMBER.match(self.text, self.pos)
        if not number:
            return True, None
        self.pos = number.end()
        return True, int(number.group())

    def _is_classic(self, match: re.Match[str]) -> bool:
        prefix, key, suffix = match.groups()
        if not prefix and not suffix and key.lower() in _KEYWORDS:
            return False
        if key in _FUNCTIONS:
            rest = self.text[match.end() :].lstrip()
            return not rest.startswith("(")
        return True

    def _classic(self, match: re.Match[str]) -> AssetSelection:
        self.pos = match.end()
        prefix, key_text, suffix = match.groups()
        key = self.make.keys(AssetKey.from_user_string(key_text))
        parts: list[AssetSelection] = []
        if prefix:
            parts.append(key.upstream(None if prefix == "*" else len(prefix)))
        if suffix:
            parts.append(key.downstream(None if suffix == "*" else len(suffix)))
        return reduce(operator.or_, parts) if parts else key

    def _primary(self) -> AssetSelection:
        char = self._peek()
        if char == "(":
            return self._group()
        if char == "*":
            self.pos += 1
            if self._peek() and not self._peek().isspace() and self._peek() not in "),":
                raise self._error(
                    "'*' stands alone for every asset; for all ancestors write '+key:a', or '*a' for a plain key"
                )
            return self.make.all(self.include_sources)
        word = _WORD.match(self.text, self.pos)
        if word and word.group() in _FUNCTIONS:
            after = self.text[word.end() :]
            if after.lstrip().startswith("("):
                self.pos = len(self.text) - len(after.lstrip())
                inner = self._group()
                return inner.roots() if word.group() == "roots" else inner.sinks()
        attribute = _ATTRIBUTE.match(self.text, self.pos)
        if attribute:
            return self._attribute(attribute)
        bare = _BARE_KEY.match(self.text, self.pos)
        if bare and bare.group().lower() not in _KEYWORDS:
            self.pos = bare.end()
            return self.make.keys(AssetKey.from_user_string(bare.group()))
        raise self._error("expected an asset selection such as 'key:a', 'group:g', '*' or '(...)'")

    def _group(self) -> AssetSelection:
        self.pos += 1  # the '('
        inner = self._or_expr()
        self._skip_ws()
        if self._peek() != ")":
            raise self._error("expected ')' to close the '('")
        self.pos += 1
        return inner

    def _attribute(self, match: re.Match[str]) -> AssetSelection:
        name = match.group(1)
        if name in _UNSUPPORTED:
            raise self._error(
                f"'{name}:' selections are not supported; use one of {', '.join(_ATTRIBUTES)}"
            )
        if name not in _ATTRIBUTES:
            raise self._error(
                f"expected one of {', '.join(a + ':' for a in _ATTRIBUTES)} (unknown attribute {name!r})"
            )
        self.pos = match.end()
        if name == "tag":
            key = self._value(name, stop="=")
            value = ""
            if self._peek() == "=":
                self.pos += 1
                value = self._value(name, allow_empty=True)
            return self.make.tag(key, value, self.include_sources)
        value = self._value(name)
        if name == "key":
            return self.make._key_wildcard(value)
        if name == "key_substring":
            return self.make.key_substring(value, self.include_sources)
        if name == "group":
            return self.make.groups(value, include_sources=self.include_sources)
        if name == "owner":
            return self.make.owner(value)
        if name == "kind":
            return self.make.kind(value, self.include_sources)
        return self.make._code_location(value)

    def _value(self, name: str, stop: str = "", allow_empty: bool = False) -> str:
        start = self.pos
        if self._peek() == '"':
            chars: list[str] = []
            self.pos += 1
            while self.pos < len(self.text) and self.text[self.pos] != '"':
                if self.text[self.pos] == "\\" and self.pos + 1 < len(self.text):
                    self.pos += 1
                chars.append(self.text[self.pos])
                self.pos += 1
            if self.pos >= len(self.text):
                self.pos = start
                raise self._error("expected a closing '\"' for the quoted value")
            self.pos += 1
            return "".join(chars)
        while (
            self.pos < len(self.text)
            and self.text[self.pos] not in _VALUE_STOP
            and self.text[self.pos] not in stop
        ):
            self.pos += 1
        value = self.text[start : self.pos]
        if not value and not allow_empty:
            raise self._error(f"expected a value after '{name}:' (quote it if it has spaces)")
        if "*" in value and name not in ("key", "tag"):
            self.pos = start
            raise self._error(f"wildcards '*' only work in key: values, not in '{name}:'")
        return value
