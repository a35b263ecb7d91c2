"""Article pages for signed-in readers: drawn once for all of them, personalised per request.

Drawing an article page with its templates costs about 20 ms of CPU, and a story that
catches fire is read by a crowd of signed-in readers, not only anonymous ones. Nearly all
of their page is the same for every ordinary reader: the story, the side lists and a
discussion in which anyone signed in may reply, vote and report. So the page is drawn
once for a stand-in reader who has written, voted and reacted on nothing, in its two parts
(articles.frames): the frame around the discussion, kept under the site's and the story's
content tokens, and the discussion, kept under the site's and the discussion's tokens
(comments.fragments). A write replaces a token, and the part is drawn again on the next
request on any app server. The parts hold slots where a reader's own things go: the CSRF
token, the account menu, the reactions block (drawn beforehand in each of its few
variants) and the comment form's submission token.

A request for a page that is in the cache does not even load the article. One script on
Redis returns the session's copy (confirming the one this process read last), the
reader's user copy (newsportal.snapshots), their comments, votes and reaction on the story
(kept under the same tokens as the discussion and the frame, so any write on the story
asks the database again), their account menu and the tokens, and counts the view; the
frame and the discussion themselves stay in the process while the tokens say they are
current (articles.frames). Such a page costs no database query. Only the comments that
differ for this reader (their own, the ones they voted on) are drawn again, with their
rights, and spliced in.

Whenever a page could differ in ways the slots do not cover, it is drawn in full as
before: for staff (moderation tools, the newsroom link), for a reader with comments of
their own awaiting moderation or hidden on the story (only they see those), with a reply
form open (?reply_to) or a rejected submission, with flash messages waiting, for previews,
and when READER_PAGE_SECONDS is 0.
"""

import copy
import functools
import re
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.utils.html import escape

from accounts import backends
from comments import fragments
from comments.discussion import Viewer, shown_comments
from comments.forms import CommentForm
from comments.models import Comment, CommentVote
from comments.rendering import CommentRenderer
from comments.rows import comment_rows
from newsportal import csrf, snapshots
from newsportal.cache import get_many_counting
from newsportal.i18n import chosen_language

from . import frames, popularity, services
from .models import Article, ArticleReaction

# NUL cannot come from readers (Django's form fields refuse it) nor from our templates.
CSRF_SLOT = "\x00csrf\x00"
ACCOUNT_SLOT = "\x00account\x00"
REACTIONS_SLOT = "\x00reactions\x00"
SUBMISSION_SLOT = "\x00submission\x00"

CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
COMMENT_START = re.compile(r'<article class="comment[^"]*" id="comment-(\d+)"')
COMMENT_END = "</article>"
NOT_SHOWN_TO_OTHERS = (Comment.Status.PENDING, Comment.Status.HIDDEN)
NO_REACTION = ""
ACCOUNT_MENU_SECONDS = 600


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


@dataclass
class ReaderState:
    """What the reader has on this story: their comments (pk -> status), their votes
    (comment pk -> +1/-1) and their reaction."""

    own: dict = field(default_factory=dict)
    votes: dict = field(default_factory=dict)
    reaction: str = NO_REACTION

    @property
    def sees_more_than_others(self):
        return any(status in NOT_SHOWN_TO_OTHERS for status in self.own.values())


def seconds():
    return getattr(settings, "READER_PAGE_SECONDS", 30)


def may_share(request):
    """Whether this request may get the shared page at all (the reader's own hidden or
    pending comments are found later, with the rest of their state)."""
    user = request.user
    return (
        seconds() > 0
        and user.is_authenticated
        and not (user.is_staff or user.is_superuser)
        and not request.GET.get("reply_to")
        and len(messages.get_messages(request)) == 0
    )


@functools.cache
def _reader_state_sql():
    """The query of reader_state, written out once: built with the ORM (a union of three
    querysets with casts) it costs more CPU to compile on every page than to run."""
    comment = connection.ops.quote_name(Comment._meta.db_table)
    vote = connection.ops.quote_name(CommentVote._meta.db_table)
    reaction = connection.ops.quote_name(ArticleReaction._meta.db_table)
    return (
        f"SELECT 'comment', id, status FROM {comment} WHERE article_id = %s AND author_id = %s"
        f" UNION ALL SELECT 'vote', v.comment_id, CAST(v.value AS VARCHAR(2)) FROM {vote} v"
        f" INNER JOIN {comment} c ON c.id = v.comment_id"
        f" WHERE v.user_id = %s AND c.article_id = %s"
        f" UNION ALL SELECT 'reaction', 0, kind FROM {reaction}"
        f" WHERE article_id = %s AND user_id = %s"
    )


def reader_state(user_pk, article_pk):
    """The reader's comments, votes and reaction on the story, in one query (see
    _state_of for the copy kept in the cache)."""
    state = ReaderState()
    with connection.cursor() as cursor:
        cursor.execute(
            _reader_state_sql(), [article_pk, user_pk, user_pk, article_pk, article_pk, user_pk]
        )
        for kind, pk, value in cursor.fetchall():
            if kind == "comment":
                state.own[pk] = value
            elif kind == "vote":
                state.votes[pk] = int(value)
            else:
                state.reaction = value
    return state


def serve_cached(request, pk):
    """The page from the cache for this reader, or None (not cached, or not for them).
    Costs no query for the article itself. The reader's user copy (accounts.backends)
    comes in the same round trip as the page's parts."""
    if seconds() <= 0 or request.GET.get("reply_to"):
        return None
    session = request.session
    # The session as this process last read it names the reader: it is fetched again in
    # the same round trip as the page, and confirmed before anything is served.
    user_pk = _as_pk(getattr(session, "near_user_pk", lambda: None)())
    confirming = user_pk is not None
    if not confirming:
        user_pk = _signed_in_pk(request)  # a round trip of its own
        if user_pk is None:
            return None
    counters = popularity.view_counters(pk) if popularity.is_countable(request) else ()
    session_key = session.snapshot_key() if confirming else None
    found = _lookup(request, pk, user_pk, counters, session_key)
    if found.counted is not None:
        popularity.note_counted(request, pk, found.counted)
    confirmed = not confirming or session.confirm_near(found.session_copy)
    # The session changed: read it as usual; the reader is the same or the page is drawn.
    if not confirmed and _signed_in_pk(request) != user_pk:
        return None
    with backends.fetched_copy(user_pk, found.user_copy):
        if not may_share(request) or request.user.pk != user_pk:
            return None
    if found.frame is None or found.discussion is None:
        return None
    state = _state_of(request, found, pk)
    if state.sees_more_than_others:
        return None
    return _personalise(request, found, state, article=None)


def serve(request, article, drawing):
    """The page for this reader, drawing what is not cached; None when it must be drawn
    in full. drawing is the view's articles.views.PageDrawing."""
    found = _lookup(request, article.pk, request.user.pk)
    state = _state_of(request, found, article.pk)
    if state.sees_more_than_others:
        return None
    stand_in_request = None
    if found.frame is None or found.discussion is None:
        stand_in_request = _stand_in(request)
    if found.frame is None:
        found.frame = frames.draw_and_keep(
            found.frame_key,
            found.frame_tokens,
            seconds(),
            lambda: _draw_frame(stand_in_request, article, drawing),
            near_copy=True,
        )
    if found.discussion is None:
        found.discussion = frames.draw_and_keep(
            found.discussion_key,
            found.discussion_tokens,
            seconds(),
            lambda: _draw_discussion(stand_in_request, drawing),
            near_copy=True,
        )
    return _personalise(request, found, state, article)


def discussion_key(request):
    return (
        f"discussion:reader:{request.get_host()}:{chosen_language(request)}:"
        f"{request.path_info}?{request.META.get('QUERY_STRING', '')[:300]}"
    )


@dataclass
class Found:
    frame_key: str
    frame_tokens: str
    frame: dict | None
    discussion_key: str
    discussion_tokens: str
    discussion: dict | None
    account_key: str
    account_menu: dict | None
    state_key: str
    state_tokens: str
    state: dict | None
    user_copy: object
    counted: list | None
    session_copy: object


def _signed_in_pk(request):
    """The signed-in reader's key as the session holds it (the user is not loaded)."""
    return _as_pk(request.session.get(SESSION_KEY))


def _as_pk(value):
    """A user's key from a session's value (a string there), or None."""
    if value is None:
        return None
    try:
        return get_user_model()._meta.pk.to_python(value)
    except ValidationError:
        return None


def _lookup(request, article_pk, user_pk, counters=(), session_key=None):
    """The frame and the discussion the stand-in sees, if cached under the current tokens,
    the reader's account menu, state and user copy if cached: one round trip to the cache,
    which also counts the view (counters) if the frame is there."""
    frame_key = frames.frame_key(request, "reader")
    section_key = discussion_key(request)
    account_key = f"account-menu:{chosen_language(request)}:{user_pk}"
    state_key = f"reader-state:{user_pk}:{article_pk}"
    user_key = backends.snapshot_key(user_pk)
    site, discussion_token, content = fragments.token_keys(article_pk)
    # The frame and the discussion are asked for only if the process holds no copy
    # (articles.frames.near); the first key decides whether the view is counted.
    near_parts = {key: frames.near(key) for key in (frame_key, section_key)}
    parts = [key for key, entry in near_parts.items() if entry is None]
    keys = [*parts, site, discussion_token, content, account_key, state_key]
    if snapshots.enabled():
        keys.append(user_key)
    if session_key is not None:
        keys.append(session_key)
    found, counted = get_many_counting(cache, keys, counters)
    frame_tokens = fragments.tokens_from(found, [site, content])
    discussion_tokens = fragments.tokens_from(found, [site, discussion_token])
    state_tokens = fragments.tokens_from(found, [site, discussion_token, content])
    wanted = {frame_key: frame_tokens, section_key: discussion_tokens}
    stale = [key for key, entry in near_parts.items() if entry and entry["tokens"] != wanted[key]]
    if stale:  # the near copy is outdated: what does the cache hold now?
        found.update(cache.get_many(stale))
    frame, section = (_current_part(key, near_parts[key], found, wanted[key]) for key in wanted)
    return Found(
        frame_key,
        frame_tokens,
        frame,
        section_key,
        discussion_tokens,
        section,
        account_key,
        found.get(account_key),
        state_key,
        state_tokens,
        found.get(state_key),
        found.get(user_key),
        counted,
        found.get(session_key),
    )


def _current_part(key, near_entry, found, tokens):
    """The part drawn under `tokens`: the process's copy, or the cache's (then kept near)."""
    if near_entry is not None and near_entry["tokens"] == tokens:
        return near_entry
    entry = found.get(key)
    if entry is None or entry["tokens"] != tokens:
        return None
    frames.keep_near(key, entry)
    return entry


def _state_of(request, found, article_pk):
    """reader_state(), kept in the cache under the tokens of the discussion and the story:
    everything that changes it (the reader's comment, its moderation, a vote, a reaction)
    replaces one of them, after its commit, so a copy is used only while nothing changed."""
    kept = found.state
    if kept is not None and kept["tokens"] == found.state_tokens:
        return kept["state"]
    state = reader_state(request.user.pk, article_pk)
    cache.set(found.state_key, {"tokens": found.state_tokens, "state": state}, seconds())
    return state


def _account_menu(request, found):
    """The account menu shows the reader's name, avatar and profile link; it is kept with
    all of them, and drawn again when any differs from the reader's now."""
    user = request.user
    shown = f"{user.username}\n{user.public_name}\n{user.avatar.name}\n{user.is_staff}"
    kept = found.account_menu
    if kept is not None and kept["shown"] == shown:
        return kept["html"]
    menu = _with_csrf_slots(render_to_string("accounts/_account_nav.html", request=request))
    cache.set(found.account_key, {"shown": shown, "html": menu}, ACCOUNT_MENU_SECONDS)
    return menu


def _personalise(request, found, state, article):
    """The page's bytes for this reader: the kept parts with the reader's own things in
    their slots and the comments that differ for them drawn again."""
    section = found.discussion
    spans = section["spans"]
    differing = [pk for pk in spans if pk in state.own or pk in state.votes]
    if differing:
        if article is None:
            article = Article.objects.get(pk=found.frame["article_pk"])
        discussion = frames.split_at_slots(
            _redraw_comments(request, article, section["html"], spans, differing, state.votes)
        )
    else:
        discussion = frames.split_kept(section, "html", section["html"])
    frame = found.frame
    reaction = state.reaction if state.reaction in frame["reactions"] else NO_REACTION
    return frames.fill_encoded(
        frames.split_kept(frame, "html", frame["html"]),
        {
            frames.NEXT_SLOT: frames.next_path(request).encode(),
            frames.DISCUSSION_SLOT: discussion,
            CSRF_SLOT: escape(csrf.masked_token(request)).encode(),
            SUBMISSION_SLOT: str(uuid.uuid4()).encode(),
            ACCOUNT_SLOT: frames.split_at_slots(_account_menu(request, found)),
            REACTIONS_SLOT: frames.split_kept(
                frame, f"reactions:{reaction}", frame["reactions"][reaction]
            ),
        },
    )


def _stand_in(request):
    stand_in_request = copy.copy(request)
    stand_in_request.META = request.META.copy()  # its CSRF cookie bookkeeping stays its own
    stand_in_request.user = STAND_IN
    return stand_in_request


def _draw_frame(stand_in_request, article, drawing):
    html = drawing.frame(
        stand_in_request, {"account_nav_slot": ACCOUNT_SLOT, "reactions_slot": REACTIONS_SLOT}
    )
    return {
        "html": _with_csrf_slots(html),
        "reactions": _reaction_variants(stand_in_request, article),
        "article_pk": article.pk,
    }


def _draw_discussion(stand_in_request, drawing):
    submission_token = str(uuid.uuid4())
    form = CommentForm(initial={"submission_token": submission_token})
    html = drawing.discussion(stand_in_request, form)
    html = _with_csrf_slots(html).replace(submission_token, SUBMISSION_SLOT)
    return {"html": html, "spans": _comment_spans(html)}


def _with_csrf_slots(html):
    return CSRF_INPUT.sub(rf"\g<1>{CSRF_SLOT}\g<2>", html)


def _reaction_variants(request, article):
    """The reactions block as a reader with each possible reaction (or none) sees it."""
    summary = services.reaction_summary(article, AnonymousUser())  # the counts only
    variants = {}
    for mine in [NO_REACTION, *(reaction["kind"] for reaction in summary)]:
        reactions = [{**reaction, "mine": reaction["kind"] == mine} for reaction in summary]
        variants[mine] = _with_csrf_slots(
            render_to_string(
                "articles/_reactions.html",
                {"article": article, "reactions": reactions},
                request=request,
            )
        )
    return variants


def _comment_spans(html):
    """Where each comment's markup starts and ends: comments are drawn one after another,
    never nested, and a comment's text cannot hold the closing tag (it is sanitised)."""
    spans = {}
    for match in COMMENT_START.finditer(html):
        end = html.index(COMMENT_END, match.start()) + len(COMMENT_END)
        spans[int(match.group(1))] = (match.start(), end)
    return spans


def _redraw_comments(request, article, html, spans, pks, my_votes):
    """The page with the given comments drawn as this reader sees them."""
    rows = comment_rows(Comment.objects.filter(pk__in=pks))
    viewer = Viewer.of(request.user)
    renderer = CommentRenderer(request, viewer)
    drawn = {
        item.pk: renderer.render(item)
        for item in shown_comments(rows, viewer, article, keep_placeholders=True, my_votes=my_votes)
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
