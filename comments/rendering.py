"""HTML for comments, built in Python in one pass.

A hot discussion has thousands of comments; a template include per comment, with its
tags, filters, URL reversals and translations, costs a few hundred microseconds each.
Here everything that is the same for every comment on the page (labels, URL shapes, the
CSRF token, the viewer's rights, each author's name and avatar, the wording of each
minute, hour and day) is worked out once, and each comment costs a few string joins. The
same renderer draws the single comments the page's script inserts, so there is one source
of a comment's markup.
"""

import functools
from html import escape as escape_text  # django's escape() without its lazy-text wrapper
from urllib.parse import quote

from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import Comment
from .timestamps import RELATIVE_FOR, PageTimes

__all__ = ["RELATIVE_FOR", "CommentRenderer", "DiscussionSection", "avatar_html"]

VISIBLE = Comment.Status.VISIBLE
HIDDEN = Comment.Status.HIDDEN
PENDING = Comment.Status.PENDING


@functools.cache
def _url_shape(name, argument="pk", sample=0):
    """'/comments/{}/vote/' from the URL of comment 0, to format without reversing again.
    The URLs do not depend on the language or the request, so once per process."""
    return reverse(name, kwargs={argument: sample}).replace(f"/{sample}/", "/{}/")


def _around(shape):
    """'/comments/{}/vote/' -> ('/comments/', '/vote/'): what goes before and after an id."""
    before, after = shape.split("{}")
    return before, after


@functools.cache
def _login_url():
    return reverse("account_login")


def _label_texts():
    return {
        "link": _("Link to this comment"),
        "edited": _("edited"),
        "like": _("Like"),
        "dislike": _("Dislike"),
        "votes": _("Likes and dislikes"),
        "reply": _("Reply"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "report": _("Report"),
        "gone": _("Deleted account"),
        "network": _("No connection to the site. Try again."),
        "hidden_own": _("Hidden by a moderator; only you can see this comment."),
        "hidden": _("Hidden by a moderator."),
        "pending_own": _("Awaiting moderation; only you can see this comment for now."),
        "pending": _("Awaiting moderation."),
        "reason": _("Reason:"),
        "appeal": _("Appeal"),
        "appeal_open": _("Appeal sent; awaiting a decision"),
    }


@functools.lru_cache(maxsize=16)
def _labels(language):
    """The labels in the active language (the key), escaped: worked out once a process
    and language, not once a page or a posted comment."""
    return {key: escape_text(text) for key, text in _label_texts().items()}


class CommentRenderer:
    def __init__(self, request, viewer, appeals=None):
        self.request = request
        self.viewer = viewer
        self.appeals = appeals or {}
        self.signed_in = viewer.pk is not None
        self.times = PageTimes(html=True)  # texts come escaped
        self.now = self.times.now
        self.permalink = _url_shape("comments:permalink")
        self.vote_url = _url_shape("comments:vote")
        self.edit_url = _url_shape("comments:edit")
        self.delete_url = _url_shape("comments:delete")
        self.login_url = _login_url()
        self.report_shape = _url_shape("moderation:report")
        self.appeal_shape = _url_shape("moderation:appeal")
        self.profile_shape = _url_shape("accounts:profile", "username", "USERNAME")
        self.labels = _labels(get_language())
        self._prepare_markup()
        self._authors = {}  # author pk: (avatar and link, escaped name), drawn once a page
        self._moderation_context = None

    @functools.cached_property
    def csrf(self):
        """The page's CSRF token, escaped, for the vote forms of a signed-in reader; asked
        for only when one is drawn (a reader's own comment, the one just posted, has
        none), since get_token() masks a new token and has the response set the cookie
        again."""
        return escape_text(get_token(self.request)) if self.signed_in else ""

    def _prepare_markup(self):
        """The markup between a comment's own values, joined once per page."""
        labels = self.labels
        permalink_before, permalink_after = _around(self.permalink)
        self._time_before = f'<a class="comment__time" href="{permalink_before}'
        self._time_after = f'{permalink_after}" title="{labels["link"]}"><time datetime="'
        self._gone = f'<span class="comment__author comment__author--gone">{labels["gone"]}</span>'
        self._edited_after = f'">{labels["edited"]}</span>'
        self._report_before, report_after = _around(self.report_shape)
        self._report_after = f'{report_after}" rel="nofollow">{labels["report"]}</a>'
        self._reply_after = f'">{labels["reply"]}</a>'
        if self.signed_in:
            self._vote_before, self._vote_after_url = _around(self.vote_url)
        else:
            # Links, not forms: an anonymous page carries no CSRF token (and so stays
            # cacheable); the login brings the reader back to the comment.
            before, after = (quote(part) for part in _around(self.permalink))
            self._login_before = f"{self.login_url}?next={before}"
            like, dislike = labels["like"], labels["dislike"]
            self._like_link_after = (
                f'{after}" rel="nofollow" title="{like}"><span aria-hidden="true">👍</span>'
                f'<span class="visually-hidden">{like}</span> <span data-likes>'
            )
            self._dislike_link_after = (
                f'{after}" rel="nofollow" title="{dislike}"><span aria-hidden="true">👎</span>'
                f'<span class="visually-hidden">{dislike}</span> <span data-dislikes>'
            )

    @functools.cached_property
    def _vote_after(self):
        """What follows a vote form's address: the rest of its tag and the CSRF token."""
        return (
            f'{self._vote_after_url}" data-vote data-error-network="{self.labels["network"]}">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{self.csrf}">'
        )

    @functools.cached_property
    def _vote_buttons(self):
        """By the reader's own vote: what surrounds the two counts."""
        return {my_vote: self._vote_buttons_around(my_vote) for my_vote in (1, -1, 0)}

    def _vote_buttons_around(self, my_vote):
        parts = []
        for value, key, counter in ((1, "like", "likes"), (-1, "dislike", "dislikes")):
            mine = my_vote == value
            emoji = "👍" if value == 1 else "👎"
            label = self.labels[key]
            parts.append(
                f'<button type="submit" name="value" value="{value}" '
                f'class="vote__button{" vote__button--mine" if mine else ""}" '
                f'aria-pressed="{"true" if mine else "false"}" '
                f'title="{label}"><span aria-hidden="true">{emoji}</span>'
                f'<span class="visually-hidden">{label}</span> '
                f"<span data-{counter}>"
            )
        like, dislike = parts
        return like, f"</span></button>{dislike}", "</span></button></form>"

    def render_all(self, items):
        return "".join(self.draw_all(items, []))

    def draw_all(self, items, pieces):
        """Add every piece of every comment to pieces, for one join: the page's megabytes
        are copied once, not once per comment and again for the page."""
        draw = self._draw
        for item in items:
            draw(item, pieces)
        return pieces

    def render(self, item):
        pieces = []
        self._draw(item, pieces)
        return "".join(pieces)

    def _draw(self, item, pieces):
        """Add the comment's markup to pieces: small joined strings around the large
        shared ones (its author, its text, the vote buttons), which are not copied here."""
        comment = item.comment
        pk = comment.pk
        status = comment.status
        indent = item.indent
        parent = comment.parent_id
        if parent is None:
            parent = ""
        classes = f"comment comment--indent-{indent}"
        if item.placeholder:
            classes += " comment--removed"
        elif status != VISIBLE:
            classes += f" comment--{status}"
        if item.is_own:
            classes += " comment--own"
        opening = (
            f'<article class="{classes}" id="comment-{pk}" data-parent-id="{parent}" '
            f'data-depth="{indent}">'
        )
        if item.placeholder:
            pieces.append(
                f'{opening}<p class="comment__placeholder">'
                f"{escape_text(str(item.placeholder))}</p></article>"
            )
            return
        who, reply_name = self._author(comment)
        pieces += (
            opening,
            '<header class="comment__header">',
            who,
            self._time(comment),
            "</header>" if status == VISIBLE else f"</header>{self._status(item, comment)}",
            '<div class="comment__body">',
            comment.body_html,
            '</div><footer class="comment__actions">',
        )
        if item.can_vote:
            self._vote_buttons_for(item, comment, pieces)
        elif comment.likes or comment.dislikes:
            pieces.append(
                f'<span class="vote vote--readonly" title="{self.labels["votes"]}">'
                f"👍 {comment.likes} 👎 {comment.dislikes}</span>"
            )
        if item.can_reply:
            pieces.append(
                f'<a class="comment__reply" href="?reply_to={pk}#comment-form" '
                f'data-reply-to="{pk}" data-reply-name="{reply_name}{self._reply_after}'
            )
        if item.can_edit or item.can_delete:
            pieces.append(self._edit_and_delete(item, pk))
        if item.can_report:
            pieces.append(
                f'<a class="comment__report" href="{self._report_before}{pk}{self._report_after}'
            )
        if item.is_own and status == HIDDEN:
            pieces.append(self._appeal(comment))
        pieces.append("</footer>")
        if item.can_moderate or item.can_pin:
            pieces.append(self._moderation(item))
        pieces.append("</article>")

    def _author(self, comment):
        """The author's avatar and link, and their name for the reply button."""
        drawn = self._authors.get(comment.author_id)
        if drawn is None:
            author = comment.author
            if author is None:
                return self._gone, ""
            name = escape_text(author.public_name)
            link = (
                f'{avatar_html(author)}<a class="comment__author" '
                f'href="{escape_text(self.profile_url(author.username))}">{name}</a>'
            )
            drawn = self._authors[comment.author_id] = (link, name)
        return drawn

    def _time(self, comment):
        times = self.times
        created = comment.created_at
        local = created.astimezone(times.zone)
        link = (
            f" {self._time_before}{comment.pk}{self._time_after}{local.isoformat()}"
            f'">{times.words(created, local)}</time></a>'
        )
        if not comment.edited_at:
            return link
        edited = times.date_time(times.local(comment.edited_at))
        return f'{link} <span class="comment__edited" title="{edited}{self._edited_after}'

    def time(self, moment):
        """How the moment reads on this page, HTML-escaped: '5 минут назад', or its date
        and time."""
        return self.times.words(moment)

    def _status(self, item, comment):
        if comment.status == HIDDEN:
            text = self.labels["hidden_own" if item.is_own else "hidden"]
            if comment.moderation_reason:
                text += f" {self.labels['reason']} {escape_text(comment.moderation_reason)}"
        elif comment.status == PENDING:
            text = self.labels["pending_own" if item.is_own else "pending"]
        else:
            return ""
        return f'<p class="comment__status">{text}</p>'

    def _edit_and_delete(self, item, pk):
        parts = []
        if item.can_edit:
            parts.append(
                f'<a class="comment__edit" href="{self.edit_url.format(pk)}" '
                f'data-edit="{pk}">{self.labels["edit"]}</a>'
            )
        if item.can_delete:
            parts.append(
                f'<a class="comment__delete" href="{self.delete_url.format(pk)}" '
                f'data-delete="{pk}">{self.labels["delete"]}</a>'
            )
        return "".join(parts)

    def _appeal(self, comment):
        """The author's way to contest a hide, or where their appeal stands."""
        url = self.appeal_shape.format(comment.pk)
        appeal = self.appeals.get(comment.pk)
        if appeal is None:
            state = self.labels["appeal"]
        elif appeal.is_open:
            state = self.labels["appeal_open"]
        else:
            state = escape_text(str(appeal.get_decision_display()))
        reason = ""
        if appeal is not None and not appeal.is_open and appeal.decision_reason:
            reason = f" {self.labels['reason']} {escape_text(appeal.decision_reason)}"
        return f'<span class="comment__appeal"><a href="{url}">{state}</a>{reason}</span>'

    def report_url(self, pk):
        return self.report_shape.format(pk)

    def profile_url(self, username):
        # Quoted as reverse() quotes path arguments (RFC 3986 sub-delimiters stay).
        return self.profile_shape.format(quote(username, safe="!$&'()*+,;=~:@"))

    def _vote_buttons_for(self, item, comment, pieces):
        pk = comment.pk
        if not self.signed_in:
            login = f"{self._login_before}{pk}"
            pieces += (
                '<span class="vote"><a class="vote__button" href="',
                login,
                self._like_link_after,
                f'{comment.likes}</span></a><a class="vote__button" href="{login}',
                self._dislike_link_after,
                f"{comment.dislikes}</span></a></span>",
            )
            return
        before_likes, between, after = self._vote_buttons.get(item.my_vote) or self._vote_buttons[0]
        pieces += (
            f'<form class="vote" method="post" action="{self._vote_before}{pk}',
            self._vote_after,
            before_likes,
            str(comment.likes),
            between,
            str(comment.dislikes),
            after,
        )

    def _moderation(self, item):
        # Moderators are few; their tools keep the readable template.
        if self._moderation_context is None:
            from moderation.services import HIDE_REASONS

            self._moderation_context = {"hide_reasons": HIDE_REASONS}
        return render_to_string(
            "comments/_moderation_tools.html",
            {"item": item, **self._moderation_context},
            request=self.request,
        )


class DiscussionSection:
    """The discussion's whole <section> as one string: its frame from two small templates
    (before and after the comments) and the comments between them, joined once.

    templates/comments/_discussion.html is `{% include discussion.section %}` and nothing
    else: a template joins its nodes' output and wraps it in a SafeString, two copies of
    what may be megabytes; with one node that returns a plain string the join is free and
    only the SafeString copies.
    """

    BEFORE = "comments/_discussion_top.html"
    AFTER = "comments/_discussion_bottom.html"

    def __init__(self, discussion):
        self.discussion = discussion

    def render(self, context):
        engine = context.template.engine
        discussion = self.discussion
        pieces = [engine.get_template(self.BEFORE).render(context)]
        if discussion.comments:
            renderer = CommentRenderer(context["request"], discussion.viewer, discussion.appeals)
            renderer.draw_all(discussion.comments, pieces)
        pieces.append(engine.get_template(self.AFTER).render(context))
        return "".join(pieces)


def avatar_html(person, size="small"):
    url = person.avatar_url
    if url:
        return (
            f'<img class="avatar avatar--{size}" src="{escape_text(url)}" alt="" '
            'width="256" height="256" loading="lazy" decoding="async">'
        )
    return (
        f'<span class="avatar avatar--letter avatar--tone-{person.pk % 10} avatar--{size}" '
        f'aria-hidden="true">{escape_text(person.initial)}</span>'
    )
