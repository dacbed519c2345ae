"""Judging a markdown comment as GitHub shows it: rendered by a CommonMark renderer that allows
HTML (with GitHub's tables and strikethrough), then parsed back into elements and text."""

from __future__ import annotations

from html.parser import HTMLParser

from markdown_it import MarkdownIt


class _Html(HTMLParser):
    """The elements and the text (entities decoded) of rendered HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = ""
        self.comments: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text += data

    def handle_comment(self, data):
        self.comments.append(data)


def rendered(comment: str) -> tuple[str, _Html]:
    html = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(comment)
    parsed = _Html()
    parsed.feed(html)
    parsed.close()
    return html, parsed


# What the comment itself is made of; anything else was made from plan data.
OWN_ELEMENTS = {"h3", "p", "strong", "em", "code", "table", "thead", "tbody", "tr", "th", "td",
                "sub", "br", "details", "summary", "pre", "ul", "li", "blockquote"}
