"""Moderation writes. `check_*` functions validate and raise PermissionDenied (who may act)
or ValidationError (what state allows); the writers check, then change everything in one
transaction together with a ModerationAction row, and drop the caches that show comments.

Comments are changed only by UPDATEs of the fields moderation owns (status,
moderation_reason/by/at, is_pinned); the tree fields belong to comments.tree alone. Each
status change is a conditional UPDATE (WHERE status = the expected one), so two
moderators clicking at once cannot both act on the same comment.
"""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from articles.models import Article
from comments.formatting import normalize_body
from comments.models import Comment
from comments.services import check_can_take_part, forget_latest

from . import policy
from .models import (
    APPEAL_TEXT_MAX_LENGTH,
    DECISION_REASON_MAX_LENGTH,
    REPORT_TEXT_MAX_LENGTH,
    SANCTION_REASON_MAX_LENGTH,
    Appeal,
    ModerationAction,
    Report,
    Sanction,
)

Status = Comment.Status
Action = ModerationAction.Action

# Why a comment is hidden: the moderator picks one or types their own ("other").
HIDE_REASONS = [
    ("insult", gettext_lazy("Insult")),
    ("spam", gettext_lazy("Spam")),
    ("offtopic", gettext_lazy("Off topic")),
    ("personal", gettext_lazy("Personal data")),
    ("other", gettext_lazy("Other reason")),
]
OTHER_REASON = "other"
REASON_MAX_LENGTH = 300  # Comment.moderation_reason
SUSPEND_DAYS = (1, 3, 7, 30)
MAX_SUSPEND_DAYS = 365
COUNTS_CACHE_KEY = "moderation:counts:v1"
COUNTS_CACHE_SECONDS = 30


# Caches


def queue_counts():
    """How many comments wait in each queue; cached briefly, dropped by every write."""
    counts = cache.get(COUNTS_CACHE_KEY)
    if counts is None:
        counts = {
            "reports": Report.objects.filter(resolved_at__isnull=True)
            .values("comment_id")
            .distinct()
            .count(),
            "pending": Comment.objects.filter(status=Status.PENDING).count(),
            "hidden": Comment.objects.filter(status=Status.HIDDEN).count(),
            "appeals": Appeal.objects.filter(decided_at__isnull=True).count(),
        }
        counts["open"] = counts["reports"] + counts["pending"] + counts["appeals"]
        cache.set(COUNTS_CACHE_KEY, counts, COUNTS_CACHE_SECONDS)
    return counts


def forget_counts():
    cache.delete(COUNTS_CACHE_KEY)


def _changed():
    """After a write: the queue counts and the latest-comments block are stale. Dropped now
    and again after the commit, so a reader between the two cannot cache the old state."""
    forget_counts()
    forget_latest()
    transaction.on_commit(forget_counts)
    transaction.on_commit(forget_latest)


def _log(actor, action, comment=None, target_user=None, reason=""):
    """One audit row. target_user is a User or a user id (a comment's author_id)."""
    target_id = getattr(target_user, "pk", target_user)
    return ModerationAction.objects.create(
        actor=actor,
        action=action,
        comment=comment,
        target_user_id=target_id,
        reason=reason or "",
    )


def _author(comment):
    return comment.author_id


# Checks


def check_can_moderate(user):
    if not policy.can_moderate(user):
        raise PermissionDenied(_("Only moderators can do this."))


def check_can_pin(user):
    if not policy.can_pin(user):
        raise PermissionDenied(_("Only editors and moderators can pin comments."))


def reason_from(choice, text=""):
    """The reason as stored and shown to the author: the chosen reason (in the site's
    language), with the moderator's words after it; or only their words for "other"."""
    text = " ".join((text or "").split())
    labels = dict(HIDE_REASONS)
    if choice in labels and choice != OTHER_REASON:
        with translation.override(settings.LANGUAGE_CODE):
            label = str(labels[choice])
        return f"{label}: {text}" if text else label
    return text


def check_reason(reason, limit=REASON_MAX_LENGTH):
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Give a reason: the author will see it."), code="reason_required")
    if len(reason) > limit:
        raise ValidationError(
            _("The reason is too long: at most %(limit)d characters.") % {"limit": limit},
            code="reason_too_long",
        )
    return reason


def _set_status(comment, moderator, expected, status, reason, now):
    """Move the comment from one of `expected` statuses to `status`; False if it was not in
    one of them any more (another moderator was faster, or the author deleted it)."""
    fields = {
        "status": status,
        "moderation_reason": reason,
        "moderated_by": moderator,
        "moderated_at": now,
    }
    if status != Status.VISIBLE:
        fields["is_pinned"] = False
    updated = Comment.objects.filter(pk=comment.pk, status__in=expected).update(**fields)
    if updated:
        comment.status = status
        comment.moderation_reason = reason
        comment.moderated_by = moderator
        comment.moderated_at = now
        if status != Status.VISIBLE:
            comment.is_pinned = False
    return bool(updated)


def _resolve_reports(reports, moderator, resolution, now):
    return reports.filter(resolved_at__isnull=True).update(
        resolved_at=now, resolved_by=moderator, resolution=resolution
    )


# Comments


def hide(moderator, comment, reason):
    """Hide a visible comment from readers; its author still sees it, with the reason.
    Open reports on it are resolved as upheld."""
    check_can_moderate(moderator)
    reason = check_reason(reason)
    now = timezone.now()
    with transaction.atomic():
        if not _set_status(comment, moderator, [Status.VISIBLE], Status.HIDDEN, reason, now):
            raise ValidationError(
                _("Only a visible comment can be hidden; reload the page to see its state."),
                code="not_visible",
            )
        _resolve_reports(
            Report.objects.filter(comment_id=comment.pk), moderator, Report.Resolution.UPHELD, now
        )
        _log(moderator, Action.HIDE, comment, _author(comment), reason)
    _changed()
    return comment


def show(moderator, comment):
    """Show a hidden comment again. An open appeal against hiding it is granted."""
    check_can_moderate(moderator)
    now = timezone.now()
    with transaction.atomic():
        if not _set_status(comment, moderator, [Status.HIDDEN], Status.VISIBLE, "", now):
            raise ValidationError(_("Only a hidden comment can be shown again."), code="not_hidden")
        Appeal.objects.filter(comment_id=comment.pk, decided_at__isnull=True).update(
            decided_at=now, decided_by=moderator, decision=Appeal.Decision.GRANTED
        )
        _log(moderator, Action.SHOW, comment, _author(comment))
    _changed()
    return comment


def approve(moderator, comment):
    """Publish a comment that waited for a moderator."""
    check_can_moderate(moderator)
    now = timezone.now()
    with transaction.atomic():
        if not _set_status(comment, moderator, [Status.PENDING], Status.VISIBLE, "", now):
            raise ValidationError(
                _("Only a comment awaiting moderation can be approved."), code="not_pending"
            )
        _log(moderator, Action.APPROVE, comment, _author(comment))
    _changed()
    return comment


def reject(moderator, comment, reason):
    """Refuse a comment that waited for a moderator: it is hidden, with the reason."""
    check_can_moderate(moderator)
    reason = check_reason(reason)
    now = timezone.now()
    with transaction.atomic():
        if not _set_status(comment, moderator, [Status.PENDING], Status.HIDDEN, reason, now):
            raise ValidationError(
                _("Only a comment awaiting moderation can be rejected."), code="not_pending"
            )
        _resolve_reports(
            Report.objects.filter(comment_id=comment.pk), moderator, Report.Resolution.UPHELD, now
        )
        _log(moderator, Action.REJECT, comment, _author(comment), reason)
    _changed()
    return comment


def dismiss_reports(moderator, comment):
    """The reports on the comment were unfounded: resolve them as dismissed."""
    check_can_moderate(moderator)
    now = timezone.now()
    with transaction.atomic():
        count = _resolve_reports(
            Report.objects.filter(comment_id=comment.pk),
            moderator,
            Report.Resolution.DISMISSED,
            now,
        )
        if not count:
            raise ValidationError(_("This comment has no open reports."), code="no_open_reports")
        _log(moderator, Action.DISMISS, comment, _author(comment))
    _changed()
    return count


# Readers' reports and authors' appeals


def check_can_report(user, comment):
    check_can_take_part(user)
    policy.check_can_participate(user)
    if comment.author_id == user.pk:
        raise PermissionDenied(_("You cannot report your own comment."))
    if comment.status != Status.VISIBLE or not comment.article.is_public:
        raise ValidationError(
            _("This comment is not shown to readers; there is nothing to report."),
            code="not_visible",
        )
    if Report.objects.filter(comment_id=comment.pk, reporter_id=user.pk).exists():
        raise ValidationError(_("You have already reported this comment."), code="already_reported")


def report(user, comment, reason, text=""):
    """A reader tells the moderators about a comment; once per comment."""
    check_can_report(user, comment)
    if reason not in Report.Reason.values:
        raise ValidationError(_("Choose what is wrong with the comment."), code="reason")
    text = normalize_body(text)
    if reason == Report.Reason.OTHER and not text:
        raise ValidationError(
            _("Tell the moderators what is wrong with this comment."), code="text_required"
        )
    if len(text) > REPORT_TEXT_MAX_LENGTH:
        raise ValidationError(
            _("The text is too long: at most %(limit)d characters.")
            % {"limit": REPORT_TEXT_MAX_LENGTH},
            code="too_long",
        )
    try:
        with transaction.atomic():
            created = Report.objects.create(
                comment=comment, reporter=user, reason=reason, text=text
            )
    except IntegrityError:
        raise ValidationError(
            _("You have already reported this comment."), code="already_reported"
        ) from None
    forget_counts()
    return created


def check_can_appeal(user, comment):
    if not getattr(user, "is_authenticated", False) or comment.author_id != user.pk:
        raise PermissionDenied(_("Only the author of a comment can appeal against hiding it."))
    if not user.is_active:
        raise PermissionDenied(_("This account cannot post comments."))
    if comment.status != Status.HIDDEN:
        raise ValidationError(_("Only a hidden comment can be appealed."), code="not_hidden")
    if Appeal.objects.filter(comment_id=comment.pk).exists():
        raise ValidationError(
            _("You have already appealed against hiding this comment."), code="already_appealed"
        )


def appeal(author, comment, text):
    """The author asks the moderators to look again at their hidden comment; once."""
    check_can_appeal(author, comment)
    text = normalize_body(text)
    if not text:
        raise ValidationError(
            _("Explain why the comment should be shown again."), code="text_required"
        )
    if len(text) > APPEAL_TEXT_MAX_LENGTH:
        raise ValidationError(
            _("The text is too long: at most %(limit)d characters.")
            % {"limit": APPEAL_TEXT_MAX_LENGTH},
            code="too_long",
        )
    try:
        with transaction.atomic():
            created = Appeal.objects.create(comment=comment, author=author, text=text)
    except IntegrityError:
        raise ValidationError(
            _("You have already appealed against hiding this comment."), code="already_appealed"
        ) from None
    forget_counts()
    return created


def decide_appeal(moderator, appeal, grant, reason=""):
    """Grant (the comment is shown again) or deny the appeal. The decision and its reason
    are shown to the author; a denial must give a reason."""
    check_can_moderate(moderator)
    reason = " ".join((reason or "").split())
    if not grant and not reason:
        raise ValidationError(_("Explain the decision to the author."), code="reason_required")
    if len(reason) > DECISION_REASON_MAX_LENGTH:
        raise ValidationError(
            _("The reason is too long: at most %(limit)d characters.")
            % {"limit": DECISION_REASON_MAX_LENGTH},
            code="reason_too_long",
        )
    now = timezone.now()
    decision = Appeal.Decision.GRANTED if grant else Appeal.Decision.DENIED
    with transaction.atomic():
        updated = Appeal.objects.filter(pk=appeal.pk, decided_at__isnull=True).update(
            decided_at=now, decided_by=moderator, decision=decision, decision_reason=reason
        )
        if not updated:
            raise ValidationError(
                _("This appeal has already been decided."), code="already_decided"
            )
        appeal.decided_at, appeal.decided_by = now, moderator
        appeal.decision, appeal.decision_reason = decision, reason
        comment = appeal.comment
        if grant:
            _set_status(comment, moderator, [Status.HIDDEN], Status.VISIBLE, "", now)
        _log(
            moderator,
            Action.APPEAL_GRANTED if grant else Action.APPEAL_DENIED,
            comment,
            appeal.author,
            reason,
        )
    _changed()
    return appeal


# Sanctions


def check_can_sanction(moderator, user):
    check_can_moderate(moderator)
    if user.pk == moderator.pk:
        raise PermissionDenied(_("You cannot sanction yourself."))
    if user.is_superuser or user.has_perm(policy.MODERATE_PERMISSION):
        raise PermissionDenied(_("Moderators and administrators cannot be sanctioned here."))


def _sanction(moderator, user, kind, until, reason, hide_comments):
    check_can_sanction(moderator, user)
    reason = check_reason(reason, SANCTION_REASON_MAX_LENGTH)
    now = timezone.now()
    with transaction.atomic():
        # A new sanction replaces the one in force, whether longer or shorter.
        Sanction.objects.active(now).filter(user=user).update(lifted_at=now, lifted_by=moderator)
        sanction = Sanction.objects.create(
            user=user, kind=kind, until=until, reason=reason, created_by=moderator, created_at=now
        )
        _log(
            moderator,
            Action.BAN if kind == Sanction.Kind.BAN else Action.SUSPEND,
            None,
            user,
            reason,
        )
        if hide_comments:
            _hide_all(moderator, user, reason, now)
    _changed()
    return sanction


def suspend(moderator, user, days, reason, hide_comments=False):
    """Keep the user out of discussions for `days` days (the form offers 1, 3, 7 and 30)."""
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_SUSPEND_DAYS:
        raise ValidationError(
            _("A suspension lasts from 1 to %(max)d days.") % {"max": MAX_SUSPEND_DAYS},
            code="days",
        )
    until = timezone.now() + timedelta(days=days)
    return _sanction(moderator, user, Sanction.Kind.SUSPEND, until, reason, hide_comments)


def ban(moderator, user, reason, hide_comments=False):
    """Keep the user out of discussions until a moderator lifts the ban."""
    return _sanction(moderator, user, Sanction.Kind.BAN, None, reason, hide_comments)


def lift(moderator, user):
    """End the sanctions in force on the user."""
    check_can_moderate(moderator)
    now = timezone.now()
    with transaction.atomic():
        count = (
            Sanction.objects.active(now)
            .filter(user=user)
            .update(lifted_at=now, lifted_by=moderator)
        )
        if not count:
            raise ValidationError(_("This user has no sanction in force."), code="no_sanction")
        _log(moderator, Action.LIFT, None, user)
    _changed()
    return count


def _hide_all(moderator, user, reason, now):
    """Hide every visible or waiting comment of the user in one UPDATE."""
    reason = reason[:REASON_MAX_LENGTH]
    count = Comment.objects.filter(author=user, status__in=[Status.VISIBLE, Status.PENDING]).update(
        status=Status.HIDDEN,
        moderation_reason=reason,
        moderated_by=moderator,
        moderated_at=now,
        is_pinned=False,
    )
    _resolve_reports(
        Report.objects.filter(comment__author=user, comment__status=Status.HIDDEN),
        moderator,
        Report.Resolution.UPHELD,
        now,
    )
    _log(
        moderator,
        Action.HIDE_ALL,
        None,
        user,
        ngettext(
            "%(reason)s (%(count)d comment hidden)",
            "%(reason)s (%(count)d comments hidden)",
            count,
        )
        % {"reason": reason, "count": count},
    )
    return count


def hide_all(moderator, user, reason):
    """Hide every visible comment of the user (without a sanction)."""
    check_can_sanction(moderator, user)
    reason = check_reason(reason)
    with transaction.atomic():
        count = _hide_all(moderator, user, reason, timezone.now())
    _changed()
    return count


# Editors' pick


def pin(actor, comment):
    """Make the comment its article's editors' pick, in place of the previous one."""
    check_can_pin(actor)
    with transaction.atomic():
        # Pins of one article queue up behind this row lock (SQLite: one writer anyway).
        list(Article.objects.select_for_update().filter(pk=comment.article_id).values_list("pk"))
        state = Comment.objects.filter(pk=comment.pk).values_list("status", "is_pinned").first()
        if state is None or state[0] != Status.VISIBLE:
            raise ValidationError(_("Only a visible comment can be pinned."), code="not_visible")
        if state[1]:
            comment.is_pinned = True
            return comment
        previous = list(
            Comment.objects.filter(article_id=comment.article_id, is_pinned=True).exclude(
                pk=comment.pk
            )
        )
        if previous:
            Comment.objects.filter(pk__in=[p.pk for p in previous]).update(is_pinned=False)
        Comment.objects.filter(pk=comment.pk).update(is_pinned=True)
        comment.is_pinned = True
        for old in previous:
            _log(actor, Action.UNPIN, old, _author(old), _("Replaced by another pick."))
        _log(actor, Action.PIN, comment, _author(comment))
    _changed()
    return comment


def unpin(actor, comment):
    check_can_pin(actor)
    with transaction.atomic():
        if not Comment.objects.filter(pk=comment.pk, is_pinned=True).update(is_pinned=False):
            raise ValidationError(_("This comment is not pinned."), code="not_pinned")
        comment.is_pinned = False
        _log(actor, Action.UNPIN, comment, _author(comment))
    _changed()
    return comment


# Reads for the discussion


def appeals_for(comments):
    """{comment id: Appeal} for the given comments that have one (one query, none if no
    comment in the list is hidden or was appealed): for showing authors their appeal."""
    ids = [
        c.pk
        for c in comments
        if c.status == Status.HIDDEN or (c.status == Status.VISIBLE and c.moderated_at)
    ]
    if not ids:
        return {}
    return {a.comment_id: a for a in Appeal.objects.filter(comment_id__in=ids)}
