"""Properties of the two text functions everything else leans on, checked with hypothesis.

comments.formatting.render_comment turns a reader's text into the only HTML of theirs a
page carries: it must emit no markup but its own, lose no text, keep line breaks, link
web addresses with the right rel, and escape exactly once.

articles.text.slugify_title makes the Latin slug in every article's and tag's URL from a
Russian, Kazakh or Latin title: ASCII letters, digits and single hyphens, at most 80
characters, no Kazakh letter lost, the same slug for the same title.
"""

import html
import re
import unicodedata

from django.utils.html import escape
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from articles.text import CYRILLIC_TO_LATIN, SLUG_MAX_LENGTH, slugify_title, transliterate
from comments.formatting import TRAILING_PUNCTUATION, normalize_body, render_comment

# For these tests only: no deadline (a first run compiles regexes), a few more examples.
thorough = hypothesis_settings(deadline=None, max_examples=150)

# Comments ------------------------------------------------------------------------------------

OUR_TAG = re.compile(
    r'<p>|</p>|<br>|<a href="[^"<>]*" rel="nofollow ugc noopener" target="_blank">|</a>'
)
ANCHOR = re.compile(r'<a href="([^"<>]*)" rel="nofollow ugc noopener" target="_blank">(.*?)</a>')

FRAGMENTS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<", ">", "&", "&amp;",
    "&lt;", "&#60;", '"', "'", "`", "\n", "\n\n", "\r\n", "\r", " ", "\t", "  \n", "\x00",
    "\u202e", "\u200b", "\ufeff", "\u2028", "javascript:alert(1)", "www.example.kz",
    "http://", "https://", "«", "»", ".", ",", ")", "(", "!", "…", "ё", "Қазақстан",
    "әғқңөұүһі", "Привет", "{{ 7*7 }}", "e\u0301",
]  # fmt: skip
URL_PIECES = st.sampled_from([*"abcxyz019-._~/?#[]@!$&()*+,;=%:", "ы", "қ", "&amp;"])


@st.composite
def web_addresses(draw):
    scheme = draw(st.sampled_from(["http", "https", "HTTPS"]))
    host = draw(st.sampled_from(["example.kz", "новости.kz", "a.b.example.com", "127.0.0.1:8000"]))
    rest = draw(st.lists(URL_PIECES, max_size=80).map("".join))
    return f"{scheme}://{host}/{rest}"


comment_texts = st.one_of(
    st.text(max_size=400),
    st.lists(
        st.one_of(st.sampled_from(FRAGMENTS), web_addresses(), st.text(max_size=12)),
        max_size=40,
    ).map("".join),
)


def plain(rendered):
    """The reader's text back from the HTML: links as their addresses, paragraphs and
    line breaks as newlines, entities decoded."""
    text = ANCHOR.sub(lambda match: match.group(1), rendered)
    text = text.replace("</p><p>", "\n").replace("<br>", "\n")
    text = text.removeprefix("<p>").removesuffix("</p>")
    return html.unescape(text)


@thorough
@given(comment_texts)
@example("<script>alert(1)</script>")
@example('"><a href="javascript:alert(1)">x</a>')
@example("https://example.kz/?q=<script>&a=1")
def test_no_markup_but_our_own(text):
    rendered = render_comment(text)
    assert "<" not in OUR_TAG.sub("", rendered)
    assert ">" not in OUR_TAG.sub("", rendered)
    # Attribute values never hold a quote that could end them early.
    for href, _shown in ANCHOR.findall(rendered):
        assert html.unescape(href).lower().startswith(("http://", "https://"))


@thorough
@given(comment_texts)
@example("Первая строка\nвторая\n\nновый абзац")
@example("a &amp; b &lt; c")
def test_every_line_of_text_survives(text):
    normalized = normalize_body(text)
    lines = [line for line in normalized.split("\n") if line.strip()]

    assert plain(render_comment(text)).split("\n") == (lines or [""])


@thorough
@given(
    st.lists(
        st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1)
        .map(str.strip)
        .filter(lambda line: normalize_body(line) == line and line),
        min_size=1,
        max_size=8,
    ),
    st.integers(min_value=1, max_value=4),
)
def test_line_breaks_and_paragraphs_are_kept(lines, paragraphs):
    text = "\n\n".join("\n".join(lines) for _ in range(paragraphs))

    rendered = render_comment(text)

    assert rendered.count("<p>") == rendered.count("</p>") == paragraphs
    assert rendered.count("<br>") == (len(lines) - 1) * paragraphs


@thorough
@given(web_addresses(), st.sampled_from(["", ".", ",", "!", ")", "…", ":"]))
@example("https://ru.wikipedia.org/wiki/Алматы_(город)", ".")
@example("https://example.kz/?a=1&b=2", "")
def test_addresses_become_links_with_the_right_rel(url, punctuation):
    rendered = render_comment(f"Смотрите {url}{punctuation} и пишите")

    links = ANCHOR.findall(rendered)
    assert len(links) == 1
    href, shown = links[0]
    linked = html.unescape(href)
    # The whole address is linked, less trailing punctuation that belongs to the sentence
    # (a closing parenthesis stays when the address opened one, as Wikipedia's do).
    typed = url + punctuation
    assert typed.startswith(linked)
    assert typed[len(linked) :].strip(TRAILING_PUNCTUATION) == ""
    assert len(linked) >= len(url.rstrip(TRAILING_PUNCTUATION))
    assert html.unescape(shown) == linked or (
        html.unescape(shown).endswith("…") and linked.startswith(html.unescape(shown)[:-1])
    )
    assert rendered.count('rel="nofollow ugc noopener"') == rendered.count("<a ") == 1
    assert 'target="_blank"' in rendered


@thorough
@given(comment_texts.filter(lambda text: "http" not in text.lower()))
@example("&amp;")
@example("&amp;amp; &lt;script&gt; &#60; \"'")
def test_escaping_happens_exactly_once(text):
    lines = [line for line in normalize_body(text).split("\n") if line.strip()]

    rendered = render_comment(text)

    # Without links, each line is Django's escape() of what was typed, applied once: "&"
    # shows as "&", and a typed "&amp;" as "&amp;", never "&amp;amp;amp;".
    shown = re.sub(r"</p><p>|<br>", "\n", rendered).removeprefix("<p>").removesuffix("</p>")
    assert shown.split("\n") == [escape(line) for line in lines] or (not lines and not shown)
    # Rendering what is stored gives the same HTML as rendering what was typed.
    assert render_comment(normalize_body(text)) == rendered


# Slugs ------------------------------------------------------------------------------------------

KAZAKH = "әғқңөұүһі"
CYRILLIC = "".join(CYRILLIC_TO_LATIN)
SLUG = re.compile(r"([a-z0-9]+(-[a-z0-9]+)*)?")

titles = st.one_of(
    st.text(max_size=300),
    st.text(
        alphabet=CYRILLIC + CYRILLIC.upper() + "abcXYZ0123456789 -—–_.,:;!?«»\"'()/\\&+#%№\t\n",
        max_size=300,
    ),
)


@thorough
@given(titles, st.integers(min_value=1, max_value=120))
@example("«Щука» и ёж: 2024 год — итоги!", SLUG_MAX_LENGTH)
@example("--- ---", SLUG_MAX_LENGTH)
@example("Ы" * 200, SLUG_MAX_LENGTH)
def test_slugs_are_ascii_words_joined_by_single_hyphens(title, max_length):
    slug = slugify_title(title, max_length=max_length)

    assert SLUG.fullmatch(slug), slug
    assert len(slug) <= max_length
    assert len(slugify_title(title)) <= SLUG_MAX_LENGTH == 80


@thorough
@given(
    st.lists(
        st.text(alphabet=KAZAKH + KAZAKH.upper(), min_size=1, max_size=15), min_size=1, max_size=8
    ).map(" ".join)
)
def test_kazakh_letters_are_never_dropped(title):
    slug = slugify_title(title)

    assert slug
    # Every letter leaves at least one Latin letter: the first word is whole (or cut at 80).
    first = title.split()[0]
    assert len(slug.split("-")[0]) >= min(len(first), SLUG_MAX_LENGTH)


def test_each_kazakh_letter_has_a_latin_spelling_in_both_cases():
    for letter in KAZAKH + KAZAKH.upper():
        latin = transliterate(letter)
        assert latin and latin.isascii() and latin.isalpha(), letter
        assert latin[0].isupper() == letter.isupper(), letter


@thorough
@given(st.text(alphabet=CYRILLIC + CYRILLIC.upper() + "abcXYZ019 -,.«»", max_size=120))
def test_the_same_title_gives_the_same_slug_whatever_its_case(title):
    slug = slugify_title(title)
    assert slugify_title("".join(title)) == slug
    assert slugify_title(title.upper()) == slugify_title(title.lower()) == slug


@thorough
@given(st.text(alphabet=CYRILLIC + CYRILLIC.upper() + " -", max_size=80))
@example("Йошкар-Ола")
def test_the_same_title_in_any_unicode_normalization_gives_the_same_slug(title):
    assert slugify_title(unicodedata.normalize("NFD", title)) == slugify_title(
        unicodedata.normalize("NFC", title)
    )
