"""The discussion as anonymous readers see it, cached as rendered HTML.

A cached fragment is found by keys that change whenever what it shows changes: a token
per article, replaced by every write to that article's discussion (a comment, an edit, a
deletion, a vote), and a site-wide token replaced by writes that touch discussions we do
not track one by one (moderation, imports). The tokens live in the shared cache, so a
write through one app server is seen on the next request to any other. A token that
falls out of the cache is simply replaced, which only orphans the old fragments.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

SITE_TOKEN_KEY = "discussion:token:site"
FRAGMENT_SECONDS = 60  # also bounds how old "5 минут назад" can get


def _article_token_key(article_id):
    return f"discussion:token:{article_id}"


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
    _replace_now_and_after_commit(_article_token_key(article_id))


def everything_changed():
    _replace_now_and_after_commit(SITE_TOKEN_KEY)


def _replace_now_and_after_commit(key):
    _replace(key)
    # Outside a transaction the write is already committed: once is enough.
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _replace(key))


def fragment_key(article_id, sort, page_number, language):
    return ":".join(
        [
            "discussion:html",
            str(article_id),
            _current(_article_token_key(article_id)),
            _current(SITE_TOKEN_KEY),
            sort,
            str(page_number),
            language,
        ]
    )


def token_keys(article_id=None):
    """The cache keys of the tokens a cached page depends on: the site's, and the
    article's if it is one."""
    keys = [SITE_TOKEN_KEY]
    if article_id is not None:
        keys.append(_article_token_key(article_id))
    return keys


def tokens_from(found, keys):
    """The tokens as one string, from a get_many answer holding `keys` (missing ones are
    created)."""
    return ".".join(found.get(key) or _current(key) for key in keys)


def tokens(article_id=None):
    keys = token_keys(article_id)
    return tokens_from(cache.get_many(keys), keys)


def cached_fragment(key, render):
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, FRAGMENT_SECONDS)
    return html
