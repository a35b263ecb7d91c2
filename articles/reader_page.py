"""Article pages for signed-in readers: drawn once for all of them, personalised per request.

Drawing an article page with its templates costs about 20 ms of CPU, and a story that
catches fire is read by a crowd of signed-in readers, not only anonymous ones. Nearly all
of their page is the same for every ordinary reader: the story, the side lists and a
discussion in which anyone signed in may reply, vote and report. So the page is drawn
once for a stand-in reader who has written, voted and reacted on nothing, and kept in the
shared cache under the same tokens as the anonymous page (comments.fragments): any write
to the discussion replaces it on every app server. It holds slots where a reader's own
things go (the CSRF token, the account menu, the reactions block, the comment form's
submission token). A request fills the slots and redraws, with the real reader's rights,
only the comments that differ for them: their own and the ones they voted on. That costs
two small queries for the reader's comments and votes on the story, one for their
reaction, and a few string joins.

Whenever a page could differ in ways the slots do not cover, the page is drawn in full as
before: for staff (moderation tools, the newsroom link), for a reader with comments of
their own awaiting moderation or hidden on the story (only they see those), with a reply
form open (?reply_to) or a rejected submission, with flash messages waiting, for previews,
and when READER_PAGE_SECONDS is 0.
"""

import copy
import re
import uuid

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import escape

from comments import fragments
from comments.discussion import Viewer, shown_comments
from comments.models import Comment, CommentVote
from comments.rendering import CommentRenderer
from comments.rows import comment_rows
from newsportal.i18n import chosen_language

from . import services

# NUL cannot come from readers (Django's form fields refuse it) nor from our templates.
CSRF_SLOT = "\x00csrf\x00"
ACCOUNT_SLOT = "\x00account\x00"
REACTIONS_SLOT = "\x00reactions\x00"
SUBMISSION_SLOT = "\x00submission\x00"

CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
COMMENT_START = re.compile(r'<article class="comment[^"]*" id="comment-(\d+)"')
COMMENT_END = "</article>"
NOT_SHOWN_TO_OTHERS = (Comment.Status.PENDING, Comment.Status.HIDDEN)


class StandInReader:
    """A signed-in reader with no comments, votes, reactions or rights of their own: what
    every ordinary reader's page looks like before it is personalised. pk 0 is nobody's."""

    pk = id = 0
    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    username = ""
    public_name = ""

    def has_perm(self, perm, obj=None):
        return False


STAND_IN = StandInReader()


def seconds():
    return getattr(settings, "READER_PAGE_SECONDS", 30)


def applies(request, article, reply_to):
    """Whether this request may be served from the shared page (see the module docstring;
    the reader's own hidden or pending comments are checked later, with their votes)."""
    user = request.user
    return (
        seconds() > 0
        and user.is_authenticated
        and not (user.is_staff or user.is_superuser)
        and article.is_public
        and not reply_to
        and len(messages.get_messages(request)) == 0
    )


def serve(request, article, draw):
    """The page for this reader, or None when it must be drawn in full.

    draw(request, slots) draws the whole page for a request (here a copy of it whose user
    is the stand-in) and returns its HTML."""
    user = request.user
    own = dict(Comment.objects.filter(article=article, author=user).values_list("pk", "status"))
    if any(status in NOT_SHOWN_TO_OTHERS for status in own.values()):
        return None
    shared = _shared_page(request, article, draw)
    votes = dict(
        CommentVote.objects.filter(user=user, comment__article=article).values_list(
            "comment_id", "value"
        )
    )
    spans = shared["spans"]
    differing = [pk for pk in spans if pk in own or pk in votes]
    html = shared["html"]
    if differing:
        html = _redraw_comments(request, article, html, spans, differing)
    return (
        html.replace(CSRF_SLOT, escape(get_token(request)))
        .replace(SUBMISSION_SLOT, str(uuid.uuid4()))
        .replace(ACCOUNT_SLOT, render_to_string("accounts/_account_nav.html", request=request))
        .replace(
            REACTIONS_SLOT,
            render_to_string(
                "articles/_reactions.html",
                {"article": article, "reactions": services.reaction_summary(article, user)},
                request=request,
            ),
        )
    )


def _shared_page(request, article, draw):
    key = page_key(
        request.get_host(),
        chosen_language(request),
        request.path_info,
        request.META.get("QUERY_STRING", ""),
    )
    token_keys = fragments.token_keys(article.pk)
    found = cache.get_many([key, *token_keys])
    tokens = fragments.tokens_from(found, token_keys)
    stored = found.get(key)
    if stored is not None and stored["tokens"] == tokens:
        return stored
    page = _draw_shared(request, draw)
    page["tokens"] = tokens
    cache.set(key, page, seconds())
    return page


def page_key(host, language, path, query):
    return f"reader-page:{host}:{language}:{path}?{query[:300]}"


def _draw_shared(request, draw):
    stand_in_request = copy.copy(request)
    stand_in_request.META = request.META.copy()  # its CSRF cookie bookkeeping stays its own
    stand_in_request.user = STAND_IN
    submission_token = str(uuid.uuid4())
    html = draw(
        stand_in_request,
        {
            "account_nav_slot": ACCOUNT_SLOT,
            "reactions_slot": REACTIONS_SLOT,
            "submission_token": submission_token,
        },
    )
    html = CSRF_INPUT.sub(rf"\g<1>{CSRF_SLOT}\g<2>", html).replace(
        submission_token, SUBMISSION_SLOT
    )
    return {"html": html, "spans": _comment_spans(html)}


def _comment_spans(html):
    """Where each comment's markup starts and ends: comments are drawn one after another,
    never nested, and a comment's text cannot hold the closing tag (it is sanitised)."""
    spans = {}
    for match in COMMENT_START.finditer(html):
        end = html.index(COMMENT_END, match.start()) + len(COMMENT_END)
        spans[int(match.group(1))] = (match.start(), end)
    return spans


def _redraw_comments(request, article, html, spans, pks):
    """The page with the given comments drawn as this reader sees them."""
    rows = comment_rows(Comment.objects.filter(pk__in=pks))
    viewer = Viewer.of(request.user)
    renderer = CommentRenderer(request, viewer)
    drawn = {
        item.pk: renderer.render(item)
        for item in shown_comments(rows, viewer, article, keep_placeholders=True)
    }
    parts = []
    position = 0
    for pk in sorted(pks, key=lambda pk: spans[pk][0]):
        start, end = spans[pk]
        parts.append(html[position:start])
        parts.append(drawn.get(pk, html[start:end]))
        position = end
    parts.append(html[position:])
    return "".join(parts)
