"""Comment bodies are plain text: escaped, line breaks kept, web addresses made links."""

import re
import unicodedata

from django.utils.html import escape

from articles.text import strip_invisible

URL = re.compile(r"\bhttps?://[^\s<>\"'«»]+", re.IGNORECASE)
TRAILING_PUNCTUATION = ".,:;!?)]}…"
LINK_TEXT_LIMIT = 60
# Control characters (Unicode category Cc, which is exactly U+0000-U+001F and
# U+007F-U+009F) other than the newline and the tab. One regular expression instead of a
# category lookup per character: the body is normalized on every post and every save.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
EXTRA_BLANK_LINES = re.compile(r"\n{3,}")


def normalize_body(text):
    """The text as it is stored: NFC, no invisible control characters, unified newlines."""
    text = unicodedata.normalize("NFC", text or "")
    text = strip_invisible(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = CONTROL_CHARACTERS.sub("", text)
    text = EXTRA_BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _link(url):
    trailing = ""
    while url and url[-1] in TRAILING_PUNCTUATION:
        # Keep a closing parenthesis that belongs to the address, as in Wikipedia links.
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        trailing = url[-1] + trailing
        url = url[:-1]
    shown = url if len(url) <= LINK_TEXT_LIMIT else url[: LINK_TEXT_LIMIT - 1] + "…"
    return (
        f'<a href="{escape(url)}" rel="nofollow ugc noopener" target="_blank">{escape(shown)}</a>'
        f"{escape(trailing)}"
    )


def _line_html(line):
    parts = []
    position = 0
    for match in URL.finditer(line):
        parts.append(escape(line[position : match.start()]))
        parts.append(_link(match.group(0)))
        position = match.end()
    parts.append(escape(line[position:]))
    return "".join(parts)


def render_comment(text):
    """HTML for a comment: paragraphs on blank lines, <br> on single line breaks."""
    paragraphs = [p for p in re.split(r"\n\s*\n", normalize_body(text)) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(_line_html(line) for line in paragraph.split("\n")) + "</p>"
        for paragraph in paragraphs
    )


def excerpt(text, limit=140):
    flat = " ".join(normalize_body(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"
