"""Searching published articles: title, lead, body and tag names.

One interface, two engines:

- PostgreSQL: full-text search with the Russian configuration, so "выборы" finds
  "выборов". The document is title (weight A), lead (B) and body (C); tag names count as B.
  Kazakh words, which the Russian stemmer barely touches, are also matched by prefix
  (`word:*`, after cutting a common Kazakh case or plural ending), so "сайлау" finds
  "сайлауы" and "сайлаудың". Snippets come from ts_headline. The document expression is
  indexed with GIN (migration 0005); `document_vector()` must stay identical to it.
- SQLite (development, small sites): every word, crudely stemmed, must appear somewhere
  (title, lead, body or a tag name; Unicode case-insensitive); results are ranked by where
  the words matched, title first; snippets are cut and highlighted in Python.

Whatever the reader types is cleaned first (control characters, NUL bytes and lone
surrogates removed, at most MAX_QUERY_LENGTH characters); words reach the database only as
query parameters. Highlighted snippets are built from escaped text: only our own <mark>
elements are markup.
"""

import operator
import re
import unicodedata
from dataclasses import dataclass, field
from functools import reduce

from django.db import connection
from django.db.models import (
    Case,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Q,
    TextField,
    Value,
    When,
)
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .markup import plain_text
from .models import Article

MAX_QUERY_LENGTH = 200
MAX_WORDS = 10
SNIPPET_LENGTH = 260
SEARCH_CONFIG = "russian"

# Private-use characters mark the highlighted words in ts_headline's output until the text
# around them has been escaped; they become <mark> only then.
MARK_START = "\ue000"
MARK_STOP = "\ue001"
MARKED = re.compile(f"{MARK_START}([^{MARK_START}{MARK_STOP}]*){MARK_STOP}")

WORD = re.compile(r"[^\W_]+")
UNFINISHED_TAG = re.compile(r"<[A-Za-z/!][^<>]*$")

# Endings cut before prefix matching. Kazakh ones only when a stem of at least five letters
# remains, so that Russian words ("страна", "работе") are left alone.
KAZAKH_SUFFIXES = sorted(
    {
        "лар", "лер", "дар", "дер", "тар", "тер",
        "ның", "нің", "дың", "дің", "тың", "тің",
        "ға", "ге", "қа", "ке", "на", "не",
        "ны", "ні", "ды", "ді", "ты", "ті",
        "да", "де", "та", "те", "нда", "нде",
        "дан", "ден", "тан", "тен", "нан", "нен",
        "мен", "бен", "пен",
        "ы", "і", "сы", "сі", "ын", "ін", "ында", "інде", "ындағы", "індегі",
        "дағы", "дегі", "тағы", "тегі",
    },
    key=len,
    reverse=True,
)  # fmt: skip
# Russian endings, for the SQLite fallback only (PostgreSQL has a real stemmer).
RUSSIAN_ENDINGS = sorted(
    {
        "иями", "ями", "ами", "ого", "его", "ому", "ему", "ыми", "ими", "ией", "ий", "ый",
        "ой", "ей", "ая", "яя", "ое", "ее", "ие", "ые", "ую", "юю", "ов", "ев", "ах", "ях",
        "ам", "ям", "ом", "ем", "ью", "ия", "ья", "ье", "а", "я", "о", "е", "ы", "и", "у",
        "ю", "ь",
    },
    key=len,
    reverse=True,
)  # fmt: skip
MIN_KAZAKH_STEM = 5
MIN_STEM = 4


def clean_query(raw):
    """The query as we search for it and show it back: printable, single-spaced, short."""
    if not isinstance(raw, str):
        return ""
    raw = raw[: MAX_QUERY_LENGTH * 4]
    text = "".join(
        " " if char.isspace() else char
        for char in raw
        if char.isspace() or unicodedata.category(char) not in {"Cc", "Cs", "Cf", "Co", "Cn"}
    )
    return " ".join(text.split())[:MAX_QUERY_LENGTH].strip()


def fold(text):
    """Case- and ё-insensitive form used for comparisons."""
    return text.casefold().replace("ё", "е")


def kazakh_stem(word):
    for _round in range(2):
        for suffix in KAZAKH_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= MIN_KAZAKH_STEM:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


def crude_stem(word):
    """A stem for substring matching without a real stemmer: Kazakh endings, then Russian."""
    stem = kazakh_stem(word)
    if stem != word:
        return stem
    for ending in RUSSIAN_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


@dataclass
class ParsedQuery:
    text: str
    words: list = field(default_factory=list)  # folded words that must match
    excluded: list = field(default_factory=list)  # folded words after "-"

    def __bool__(self):
        return bool(self.words)


def parse(text):
    """Words of a cleaned query; "-word" excludes, "or" and quotes are left to websearch."""
    words, excluded = [], []
    for chunk in text.split():
        negative = chunk.startswith("-") and len(chunk) > 1
        for word in WORD.findall(chunk):
            word = fold(word)
            if not negative and word == "or":
                continue
            target = excluded if negative else words
            if word not in target:
                target.append(word)
    return ParsedQuery(text=text, words=words[:MAX_WORDS], excluded=excluded[:MAX_WORDS])


def search(text):
    """Published articles matching the cleaned query `text`, best first, as a queryset of
    listing rows (body deferred). Empty when the query has no words."""
    query = parse(text)
    if not query:
        return Article.objects.none()
    if connection.vendor == "postgresql":
        return _postgres_search(query)
    return _fallback_search(query)


def highlight(page_articles, text):
    """Give each article on the page `search_title` and `search_snippet`: escaped text with
    the matched words in <mark>. One query on PostgreSQL, none on SQLite (the page query
    fetched the body)."""
    articles = list(page_articles)
    query = parse(text)
    if not articles or not query:
        return articles
    if connection.vendor == "postgresql":
        _postgres_highlight(articles, query)
    else:
        _fallback_highlight(articles, query)
    return articles


def marked_html(text):
    """Escape `text` and turn the MARK_START/MARK_STOP pairs in it into <mark> elements."""
    parts = []
    position = 0
    for match in MARKED.finditer(text):
        parts.append(escape(_unmarked(text[position : match.start()])))
        parts.append(f"<mark>{escape(match.group(1))}</mark>")
        position = match.end()
    parts.append(escape(_unmarked(text[position:])))
    return mark_safe("".join(parts))  # every piece of the text above went through escape()


def _unmarked(text):
    return text.replace(MARK_START, "").replace(MARK_STOP, "")


# PostgreSQL


def document_vector():
    """Title A, lead B, body C, Russian configuration. Migration 0005 indexes exactly this."""
    from django.contrib.postgres.search import SearchVector

    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("lead", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body", weight="C", config=SEARCH_CONFIG)
    )


def _tsquery(query):
    """websearch syntax for the Russian words ("выборы -акимов", quotes, or) and a prefix
    query built from the words themselves for Kazakh forms: `сайлау:* & алматы:*`."""
    from django.contrib.postgres.search import SearchQuery

    web = SearchQuery(query.text, search_type="websearch", config=SEARCH_CONFIG)
    terms = [f"{kazakh_stem(word)}:*" for word in query.words]
    terms += [f"!{word}" for word in query.excluded]
    # Only letters and digits reach this string, so it is always valid tsquery syntax.
    prefix = SearchQuery(" & ".join(terms), search_type="raw", config=SEARCH_CONFIG)
    return web | prefix


def _tagged_with(tsquery):
    from django.contrib.postgres.search import SearchVector

    return (
        Article.tags.through.objects.annotate(
            tag_document=SearchVector("tag__name", config=SEARCH_CONFIG)
        )
        .filter(tag_document=tsquery)
        .values("article_id")
    )


def _postgres_search(query):
    from django.contrib.postgres.search import SearchRank

    tsquery = _tsquery(query)
    matching = Article.objects.annotate(document=document_vector()).filter(document=tsquery)
    tagged = _tagged_with(tsquery)
    tag_bonus = Case(When(pk__in=tagged, then=Value(0.4)), default=Value(0.0))
    return (
        Article.objects.published()
        .for_listing()
        .filter(Q(pk__in=matching.values("pk")) | Q(pk__in=tagged))
        .annotate(rank=SearchRank(document_vector(), tsquery) + tag_bonus)
        .order_by("-rank", "-published_at", "-pk")
    )


def _postgres_highlight(articles, query):
    from django.contrib.postgres.search import SearchHeadline

    tsquery = _tsquery(query)
    marks = {"config": SEARCH_CONFIG, "start_sel": MARK_START, "stop_sel": MARK_STOP}
    rows = Article.objects.filter(pk__in=[article.pk for article in articles]).values_list(
        "pk",
        SearchHeadline("title", tsquery, highlight_all=True, **marks),
        SearchHeadline("lead", tsquery, highlight_all=True, **marks),
        SearchHeadline(
            "body",
            tsquery,
            max_words=30,
            min_words=12,
            max_fragments=2,
            fragment_delimiter=" … ",
            **marks,
        ),
    )
    headlines = {pk: (title, lead, body) for pk, title, lead, body in rows}
    for article in articles:
        title, lead, body = headlines.get(article.pk, (article.title, article.lead, ""))
        article.search_title = marked_html(title)
        # The body is Markdown: show its fragment as plain text (without the start of an
        # HTML tag the fragment may end in).
        body = plain_text(UNFINISHED_TAG.sub("", body))
        snippet = body if MARK_START in body else plain_text(lead)
        article.search_snippet = marked_html(_shorten(snippet))


def _shorten(text, limit=SNIPPET_LENGTH * 2):
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


# SQLite and other databases


class Folded(Func):
    """Unicode casefold with ё as е, computed by a Python function registered on the
    connection (SQLite's own lower() only knows ASCII)."""

    function = "newsportal_fold"
    output_field = TextField()


def ensure_fold_function():
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "newsportal_fold", 1, lambda value: fold(value) if value else value, deterministic=True
        )


def _fallback_search(query):
    ensure_fold_function()
    stems = [crude_stem(word) for word in query.words]
    articles = (
        Article.objects.published()
        .select_related("category", "author")
        .defer("body_html")  # the body stays: the snippet is cut from it
        .annotate(
            folded_title=Folded("title"), folded_lead=Folded("lead"), folded_body=Folded("body")
        )
    )
    scores = []
    for stem in stems:
        tagged = _tagged_containing(stem)
        articles = articles.filter(
            Q(folded_title__contains=stem)
            | Q(folded_lead__contains=stem)
            | Q(folded_body__contains=stem)
            | Q(pk__in=tagged)
        )
        scores += [
            Case(When(folded_title__contains=stem, then=Value(8)), default=Value(0)),
            Case(When(pk__in=tagged, then=Value(4)), default=Value(0)),
            Case(When(folded_lead__contains=stem, then=Value(2)), default=Value(0)),
            Case(When(folded_body__contains=stem, then=Value(1)), default=Value(0)),
        ]
    for word in query.excluded:
        articles = articles.exclude(
            Q(folded_title__contains=word)
            | Q(folded_lead__contains=word)
            | Q(folded_body__contains=word)
        )
    score = reduce(operator.add, scores)
    return articles.annotate(rank=_integer(score)).order_by("-rank", "-published_at", "-pk")


def _integer(expression):
    return ExpressionWrapper(expression, output_field=IntegerField())


def _tagged_containing(stem):
    return (
        Article.tags.through.objects.annotate(folded_name=Folded(F("tag__name")))
        .filter(folded_name__contains=stem)
        .values("article_id")
    )


def _word_pattern(stems):
    alternatives = "|".join(
        re.escape(stem).replace("е", "[её]") for stem in sorted(stems, key=len, reverse=True)
    )
    return re.compile(rf"\w*(?:{alternatives})\w*", re.IGNORECASE)


def _marked_python(text, pattern):
    return pattern.sub(lambda match: f"{MARK_START}{match.group(0)}{MARK_STOP}", text)


def _fallback_highlight(articles, query):
    pattern = _word_pattern([crude_stem(word) for word in query.words])
    for article in articles:
        clean_title = _unmarked(article.title)
        article.search_title = marked_html(_marked_python(clean_title, pattern))
        body = _unmarked(plain_text(article.body))
        match = pattern.search(body)
        if match:
            start = max(0, match.start() - SNIPPET_LENGTH // 3)
            if start:
                start = body.find(" ", start) + 1 or start
            excerpt = body[start : start + SNIPPET_LENGTH]
            if start + SNIPPET_LENGTH < len(body):
                excerpt = excerpt.rsplit(" ", 1)[0] + " …"
            if start:
                excerpt = "… " + excerpt
        else:
            excerpt = _shorten(_unmarked(plain_text(article.lead)))
        article.search_snippet = marked_html(_marked_python(excerpt, pattern))
