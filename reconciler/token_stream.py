"""What obsctl's two small recursive-descent parsers share (metric-math expressions in
config/expressions.py, log filter patterns in kinds/filter_pattern.py): tokens that know their
column, and a cursor over them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Token:
    kind: str  # the parser's token kinds; every stream ends with one of kind "end"
    text: str
    column: int  # 1-based, within the parsed text


class TokenStream:
    """A cursor over a token list that ends with an "end" token."""

    def __init__(self, stream: list[Token]):
        self.stream = stream
        self.index = 0

    @property
    def token(self) -> Token:
        return self.stream[self.index]

    def take(self) -> Token:
        token = self.stream[self.index]
        self.index += 1
        return token

    def at(self, *texts: str) -> bool:
        """Is the current token one of these operators or words?"""
        return self.token.kind in ("op", "word") and self.token.text in texts
