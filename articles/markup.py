"""Article bodies: Markdown written by editors, stored as sanitized HTML.

Editors write Markdown (paragraphs, ## headings, > quotes, [links](...), lists, and
![caption](image:ID) for an image uploaded with the article). It is rendered once, on
save, and cleaned with an allowlist (nh3) so nothing but these elements reaches a page.
"""

import html
import re

import markdown
import nh3
from django.template.loader import render_to_string

ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "blockquote", "ul", "ol", "li", "strong", "em", "b", "i",
    "a", "code", "pre", "hr", "img", "sup", "sub", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt"},
    "th": {"align"},
    "td": {"align"},
}
# "image:" only survives long enough to be swapped for an uploaded image below.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "image"}

IMAGE_TAG = re.compile(r"(?:<p>\s*)?<img\b([^>]*)>(?:\s*</p>)?")
ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
TOP_HEADING = re.compile(r"<(/?)h1>")


def _render_markdown(source):
    html_text = markdown.markdown(source, extensions=["sane_lists", "tables"], output_format="html")
    # The page title is the only <h1>; an editor's top-level heading becomes <h2>.
    return TOP_HEADING.sub(r"<\1h2>", html_text)


def render_body(source, images_by_id=None):
    """Return safe HTML for an article body.

    `images_by_id` maps ArticleImage ids to objects with a `picture` property; an image
    reference to anything else (including images on other sites) is dropped.
    """
    images_by_id = images_by_id or {}
    cleaned = nh3.clean(
        _render_markdown(source or ""),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )

    def replace_image(match):
        attributes = dict(ATTRIBUTE.findall(match.group(1)))
        src = html.unescape(attributes.get("src", ""))
        alt = html.unescape(attributes.get("alt", ""))
        image_id = src.removeprefix("image:")
        if not src.startswith("image:") or not image_id.isdigit():
            return ""
        image = images_by_id.get(int(image_id))
        if image is None or image.picture is None:
            return ""
        caption = alt or image.caption
        return render_to_string(
            "articles/_figure.html",
            {"picture": image.picture_with(alt=caption, caption=caption)},
        ).strip()

    result = IMAGE_TAG.sub(replace_image, cleaned)
    # Anchors to "image:" URLs are meaningless to a reader.
    return re.sub(r'<a href="image:[^"]*"[^>]*>(.*?)</a>', r"\1", result)


def plain_text(source, limit=None):
    """Body text without markup, for descriptions and snippets."""
    text = nh3.clean(_render_markdown(source or ""), tags=set())
    text = re.sub(r"\s+", " ", html.unescape(text)).strip()
    if limit and len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return text
