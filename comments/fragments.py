"""The tokens that keep cached pages and their parts current, and the discussion as
anonymous readers see it, cached as rendered HTML.

Anything cached is found by keys that change whenever what it shows changes:

- a discussion token per article, replaced by every write to that article's discussion
  (a comment, an edit, a deletion, a vote);
- a content token per article, replaced when the story itself or its reactions change
  (an edit, an unpublication, a reaction): the page around the discussion
  (articles.frames) depends on it, not on the discussion, so a busy discussion does not
  redraw the story with every comment;
- a site-wide token, replaced by writes that touch discussions we do not track one by one
  (moderation, imports) and after a cache outage.

The tokens live in the shared cache, so a write through one app server is seen on the
next request to any other. A token that falls out of the cache is simply replaced, which
only orphans what was cached under the old one.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

SITE_TOKEN_KEY = "discussion:token:site"
FRAGMENT_SECONDS = 60  # also bounds how old "5 минут назад" can get


def discussion_token_key(article_id):
    return f"discussion:token:{article_id}"


def _content_token_key(article_id):
    return f"article:token:{article_id}"


def _replace(key):
    cache.set(key, uuid.uuid4().hex, None)


def _current(key):
    token = cache.get(key)
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(key, token, None):
            token = cache.get(key) or token
    return token


def article_changed(article_id):
    """Replace the article's token now and, inside a transaction, again after the commit,
    so a reader between the two cannot store the old state under the new token."""
    _replace_now_and_after_commit(discussion_token_key(article_id))


def article_content_changed(article_id):
    """The story or its reactions changed (see the module docstring)."""
    _replace_now_and_after_commit(_content_token_key(article_id))


def everything_changed():
    _replace_now_and_after_commit(SITE_TOKEN_KEY)


def _replace_now_and_after_commit(key):
    _replace(key)
    # Outside a transaction the write is already committed: once is enough.
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _replace(key))


def discussion_tokens(article_id):
    """The tokens everything drawn from the article's discussion is kept under, as one
    string (one round trip)."""
    keys = [discussion_token_key(article_id), SITE_TOKEN_KEY]
    return tokens_from(cache.get_many(keys), keys)


def fragment_key(article_id, sort, page_number, language):
    tokens = discussion_tokens(article_id)
    return f"discussion:html:{article_id}:{tokens}:{sort}:{page_number}:{language}"


def token_keys(article_id=None):
    """The cache keys of the tokens a whole cached page depends on: the site's, and the
    article's discussion and content tokens if it is an article."""
    keys = [SITE_TOKEN_KEY]
    if article_id is not None:
        keys += [discussion_token_key(article_id), _content_token_key(article_id)]
    return keys


def frame_token_keys(article_id):
    """The tokens of the page around an article's discussion: the site's and the article's
    content token."""
    return [SITE_TOKEN_KEY, _content_token_key(article_id)]


def current_tokens(found, keys):
    """The tokens under keys, from a {key: token or None} answer (missing ones created)."""
    return [found.get(key) or _current(key) for key in keys]


def tokens_from(found, keys):
    """current_tokens() as one string, for a cache key or to compare with a stored one."""
    return ".".join(current_tokens(found, keys))


def tokens(article_id=None):
    keys = token_keys(article_id)
    return tokens_from(cache.get_many(keys), keys)


def cached_fragment(key, render):
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, FRAGMENT_SECONDS)
    return html
