"""HTML for comments, built in Python in one pass.

A hot discussion has thousands of comments; a template include per comment, with its
tags, filters, URL reversals and translations, costs a few hundred microseconds each.
Here everything that is the same for every comment on the page (labels, URL shapes, the
CSRF token, the viewer's rights) is worked out once, and each comment costs a few string
joins. The same renderer draws the single comments the page's script inserts, so there
is one source of a comment's markup.
"""

import functools
from datetime import timedelta
from urllib.parse import quote

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.middleware.csrf import get_token
from django.template.defaultfilters import date as format_date
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from .models import Comment

RELATIVE_FOR = timedelta(hours=12)


@functools.cache
def _url_shape(name, argument="pk", sample=0):
    """'/comments/{}/vote/' from the URL of comment 0, to format without reversing again.
    The URLs do not depend on the language or the request, so once per process."""
    return reverse(name, kwargs={argument: sample}).replace(f"/{sample}/", "/{}/")


class CommentRenderer:
    def __init__(self, request, viewer, appeals=None):
        self.request = request
        self.viewer = viewer
        self.appeals = appeals or {}
        self.signed_in = viewer.pk is not None
        self.csrf = escape(get_token(request)) if self.signed_in else ""
        self.now = timezone.now()
        self.permalink = _url_shape("comments:permalink")
        self.vote_url = _url_shape("comments:vote")
        self.edit_url = _url_shape("comments:edit")
        self.delete_url = _url_shape("comments:delete")
        self.login_url = reverse("account_login")
        self.report_shape = _url_shape("moderation:report")
        self.appeal_shape = _url_shape("moderation:appeal")
        self.profile_shape = _url_shape("accounts:profile", "username", "USERNAME")
        self.labels = {
            key: escape(text)
            for key, text in {
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
            }.items()
        }
        self._moderation_context = None
        self._times = {}

    def render_all(self, items):
        return "".join(self.render(item) for item in items)

    def render(self, item):
        comment = item.comment
        classes = [f"comment comment--indent-{item.indent}"]
        if item.placeholder:
            classes.append("comment--removed")
        elif comment.status != Comment.Status.VISIBLE:
            classes.append(f"comment--{comment.status}")
        if item.is_own:
            classes.append("comment--own")
        parent = comment.parent_id if comment.parent_id is not None else ""
        opening = (
            f'<article class="{" ".join(classes)}" id="comment-{comment.pk}" '
            f'data-parent-id="{parent}" data-depth="{item.indent}">'
        )
        if item.placeholder:
            return (
                f'{opening}<p class="comment__placeholder">{escape(item.placeholder)}</p></article>'
            )
        return "".join(
            [
                opening,
                self._header(comment),
                self._status(item, comment),
                f'<div class="comment__body">{comment.body_html}</div>',
                self._actions(item, comment),
                self._moderation(item) if item.can_moderate or item.can_pin else "",
                "</article>",
            ]
        )

    def _header(self, comment):
        author = comment.author
        if author is None:
            who = (
                f'<span class="comment__author comment__author--gone">{self.labels["gone"]}</span>'
            )
        else:
            name = escape(author.public_name)
            who = (
                f'{avatar_html(author)}<a class="comment__author" '
                f'href="{escape(self.profile_url(author.username))}">{name}</a>'
            )
        created = timezone.localtime(comment.created_at)
        edited = ""
        if comment.edited_at:
            edited = (
                f' <span class="comment__edited" title="'
                f'{escape(format_date(timezone.localtime(comment.edited_at), "DATETIME_FORMAT"))}">'
                f"{self.labels['edited']}</span>"
            )
        return (
            f'<header class="comment__header">{who} '
            f'<a class="comment__time" href="{self.permalink.format(comment.pk)}" '
            f'title="{self.labels["link"]}"><time datetime="{created.isoformat()}">'
            f"{escape(self.time(created))}</time></a>{edited}</header>"
        )

    def time(self, moment):
        # Many comments share a minute; their wording is worked out once per page.
        age = self.now - moment
        if age < RELATIVE_FOR:
            seconds = int(age.total_seconds())
            key = ("ago", seconds if seconds < 60 else seconds // 60 * 60)
            if key not in self._times:
                self._times[key] = naturaltime(moment)
        else:
            key = ("at", moment.replace(second=0, microsecond=0))
            if key not in self._times:
                self._times[key] = format_date(moment, "DATETIME_FORMAT")
        return self._times[key]

    def _status(self, item, comment):
        if comment.status == Comment.Status.HIDDEN:
            text = self.labels["hidden_own" if item.is_own else "hidden"]
            if comment.moderation_reason:
                text += f" {self.labels['reason']} {escape(comment.moderation_reason)}"
        elif comment.status == Comment.Status.PENDING:
            text = self.labels["pending_own" if item.is_own else "pending"]
        else:
            return ""
        return f'<p class="comment__status">{text}</p>'

    def _actions(self, item, comment):
        parts = [self._votes(item, comment)]
        if item.can_reply:
            name = escape(comment.author.public_name) if comment.author else ""
            parts.append(
                f'<a class="comment__reply" href="?reply_to={comment.pk}#comment-form" '
                f'data-reply-to="{comment.pk}" data-reply-name="{name}">{self.labels["reply"]}</a>'
            )
        if item.can_edit:
            parts.append(
                f'<a class="comment__edit" href="{self.edit_url.format(comment.pk)}" '
                f'data-edit="{comment.pk}">{self.labels["edit"]}</a>'
            )
        if item.can_delete:
            parts.append(
                f'<a class="comment__delete" href="{self.delete_url.format(comment.pk)}" '
                f'data-delete="{comment.pk}">{self.labels["delete"]}</a>'
            )
        if item.can_report:
            parts.append(
                f'<a class="comment__report" href="{self.report_url(comment.pk)}" '
                f'rel="nofollow">{self.labels["report"]}</a>'
            )
        if item.is_own and comment.status == Comment.Status.HIDDEN:
            parts.append(self._appeal(comment))
        return f'<footer class="comment__actions">{"".join(parts)}</footer>'

    def _appeal(self, comment):
        """The author's way to contest a hide, or where their appeal stands."""
        url = self.appeal_shape.format(comment.pk)
        appeal = self.appeals.get(comment.pk)
        if appeal is None:
            state = self.labels["appeal"]
        elif appeal.is_open:
            state = self.labels["appeal_open"]
        else:
            state = escape(appeal.get_decision_display())
        reason = ""
        if appeal is not None and not appeal.is_open and appeal.decision_reason:
            reason = f" {self.labels['reason']} {escape(appeal.decision_reason)}"
        return f'<span class="comment__appeal"><a href="{url}">{state}</a>{reason}</span>'

    def report_url(self, pk):
        return self.report_shape.format(pk)

    def profile_url(self, username):
        # Quoted as reverse() quotes path arguments (RFC 3986 sub-delimiters stay).
        return self.profile_shape.format(quote(username, safe="!$&'()*+,;=~:@"))

    def _votes(self, item, comment):
        labels = self.labels
        if not item.can_vote:
            if comment.likes or comment.dislikes:
                return (
                    f'<span class="vote vote--readonly" title="{labels["votes"]}">'
                    f"👍 {comment.likes} 👎 {comment.dislikes}</span>"
                )
            return ""
        if not self.signed_in:
            # Links, not forms: an anonymous page carries no CSRF token (and so stays
            # cacheable); the login brings the reader back to the comment.
            login = f"{self.login_url}?next={quote(self.permalink.format(comment.pk))}"
            return (
                f'<span class="vote"><a class="vote__button" href="{login}" rel="nofollow" '
                f'title="{labels["like"]}"><span aria-hidden="true">👍</span>'
                f'<span class="visually-hidden">{labels["like"]}</span> '
                f"<span data-likes>{comment.likes}</span></a>"
                f'<a class="vote__button" href="{login}" rel="nofollow" '
                f'title="{labels["dislike"]}"><span aria-hidden="true">👎</span>'
                f'<span class="visually-hidden">{labels["dislike"]}</span> '
                f"<span data-dislikes>{comment.dislikes}</span></a></span>"
            )
        buttons = []
        for value, key, counter, count in (
            (1, "like", "likes", comment.likes),
            (-1, "dislike", "dislikes", comment.dislikes),
        ):
            mine = item.my_vote == value
            pressed = "true" if mine else "false"
            mine_class = " vote__button--mine" if mine else ""
            emoji = "👍" if value == 1 else "👎"
            buttons.append(
                f'<button type="submit" name="value" value="{value}" '
                f'class="vote__button{mine_class}" aria-pressed="{pressed}" '
                f'title="{labels[key]}"><span aria-hidden="true">{emoji}</span>'
                f'<span class="visually-hidden">{labels[key]}</span> '
                f"<span data-{counter}>{count}</span></button>"
            )
        action = self.vote_url.format(comment.pk)
        return (
            f'<form class="vote" method="post" action="{action}" data-vote '
            f'data-error-network="{labels["network"]}">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{self.csrf}">'
            f"{''.join(buttons)}</form>"
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


def avatar_html(person, size="small"):
    url = person.avatar_url
    if url:
        return (
            f'<img class="avatar avatar--{size}" src="{escape(url)}" alt="" '
            'width="256" height="256" loading="lazy" decoding="async">'
        )
    return (
        f'<span class="avatar avatar--letter avatar--tone-{person.pk % 10} avatar--{size}" '
        f'aria-hidden="true">{escape(person.initial)}</span>'
    )
