"""The article page around its discussion (its frame), drawn with a slot for the discussion
and, for anonymous readers and the signed-in stand-in (articles.reader_page), kept.

The story, its header, tags and reactions and the lists beside it are the same for every
reader of a language and change rarely; the discussion below changes with every comment.
So the page is drawn with a slot where the discussion goes, filled last:

- a busy discussion costs only its own drawing, not the story's again: a kept frame
  depends on the site's token and the article's content token (comments.fragments), which
  a comment does not replace, only an edit of the story, a reaction or moderation;
- the discussion's HTML, long on a hot story, is copied once into the page instead of
  through every template block that wraps it.

The page's own address (with its query: sort and page of the discussion) appears in the
frame only in ?next= links (log in, sign up, language), through another slot, so one frame
serves every page of the discussion. The lists beside the story and the view count of a
kept frame may lag by up to the time it is kept.
"""

import re
import time

from django.core.cache import cache
from django.template.defaultfilters import urlencode

from comments import fragments
from newsportal.cache import NearCopies
from newsportal.i18n import chosen_language

DISCUSSION_SLOT = "\x00discussion\x00"  # NUL comes neither from readers nor from templates
NEXT_SLOT = "\x00next\x00"


def slots():
    """The template context that draws a frame."""
    return {"discussion_html": DISCUSSION_SLOT, "next_path_slot": NEXT_SLOT}


def frame_key(request, kind):
    return (
        f"frame:{kind}:{request.scheme}:{request.get_host()}:{chosen_language(request)}:"
        f"{request.path_info}"
    )


def kept(request, article_pk, kind, seconds, draw):
    """The frame entry ({"html": ..., and whatever draw() adds}) kept under the current
    tokens, or drawn by draw() and kept for `seconds`."""
    key = frame_key(request, kind)
    token_keys = fragments.frame_token_keys(article_pk)
    found = cache.get_many([key, *token_keys])
    return entry_from(found, key, fragments.tokens_from(found, token_keys), seconds, draw)


def entry_from(found, key, tokens, seconds, draw):
    """The entry under key in a get_many answer if it was kept under `tokens`, or a new
    one from draw(), kept."""
    entry = found.get(key)
    if entry is not None and entry["tokens"] == tokens:
        return entry
    return draw_and_keep(key, tokens, seconds, draw)


def draw_and_keep(key, tokens, seconds, draw, near_copy=False):
    """A new entry from draw(), kept under key for `seconds` with the tokens it was drawn
    under (and when it expires); with near_copy, in the process too (see near())."""
    entry = draw()
    entry["tokens"] = tokens
    entry["expires_at"] = time.time() + seconds
    if seconds > 0:
        cache.set(key, entry, seconds)
        if near_copy:
            keep_near(key, entry)
    return entry


# Entries kept in the process too (articles.reader_page): a hot story's frame and
# discussion, tens of kilobytes, then cross from Redis once per change rather than once per
# reader. The caller uses a near copy only under the tokens it was drawn under (its
# "tokens", which the caller reads from Redis with every request), and a copy never
# outlives its entry in the cache, so it is exactly what the cache would have answered.
_near = NearCopies()


def near(key):
    """The near copy of the entry under key, whatever its tokens, or None."""
    copy = _near.get(key)
    return None if copy is None else copy.value


def keep_near(key, entry):
    # Twice the texts: each is split and encoded once it is used (split_kept).
    size = 2 * sum(len(value) for value in _texts(entry))
    seconds_left = entry.get("expires_at", 0) - time.time()
    _near.keep(key, entry["tokens"], entry, size, seconds_left * 1000)


def _texts(entry):
    for value in entry.values():
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from _texts(value)


def next_path(request):
    """The value of NEXT_SLOT: the page's address as {{ ...|urlencode }} writes it."""
    return urlencode(request.get_full_path())


def assemble(frame_html, request, discussion_html):
    """The page's bytes: the frame with this request's address and the discussion in
    place, in one pass over the frame."""
    values = {NEXT_SLOT: next_path(request).encode(), DISCUSSION_SLOT: discussion_html.encode()}
    return fill_encoded(split_at_slots(frame_html), values)


_SLOT_SPLIT = re.compile("(\x00[a-z]+\x00)")


def split_at_slots(html):
    """html split once for fill_encoded(): (encoded text, slot, encoded text, ..., encoded
    text). Encoding a page of tens of kilobytes of Cyrillic and searching it for slots
    costs more than the rest of a signed-in reader's page; a kept part pays it once."""
    pieces = _SLOT_SPLIT.split(html)
    return tuple(piece.encode() if index % 2 == 0 else piece for index, piece in enumerate(pieces))


def split_kept(entry, name, text):
    """split_at_slots(text), for a text of an entry kept in the process, split on its
    first use and remembered in the entry under name."""
    memo_key = f"_split:{name}"
    split = entry.get(memo_key)
    if split is None:
        split = entry[memo_key] = split_at_slots(text)
    return split


def fill_encoded(pieces, values):
    """The bytes of split text with every slot filled from values: bytes, or another split
    text whose own slots are filled from the same values. A slot without a value is left
    as it is."""
    out = []
    _fill_into(out, pieces, values)
    return b"".join(out)


def _fill_into(out, pieces, values):
    out.append(pieces[0])
    for index in range(1, len(pieces), 2):
        value = values.get(pieces[index])
        if value is None:
            out.append(pieces[index].encode())
        elif isinstance(value, tuple):
            _fill_into(out, value, values)
        else:
            out.append(value)
        out.append(pieces[index + 1])
