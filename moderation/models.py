"""What moderation keeps: readers' reports, authors' appeals, sanctions on accounts, the
banned words that hold a comment for review, the site's moderation policy, and the audit
trail of every moderator's action.

Comments themselves are changed only by moderation.services, with UPDATEs of the fields
moderation owns (status, moderation_*, is_pinned), never through Comment.save() of the
tree fields (see comments.tree).
"""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

REPORT_TEXT_MAX_LENGTH = 500
APPEAL_TEXT_MAX_LENGTH = 1000
DECISION_REASON_MAX_LENGTH = 500
SANCTION_REASON_MAX_LENGTH = 500
POLICY_CACHE_KEY = "moderation:policy:v1"


class Report(models.Model):
    """A reader's complaint about a comment: once per comment per reader."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        INSULT = "insult", _("Insult")
        OTHER = "other", _("Other")

    class Resolution(models.TextChoices):
        UPHELD = "upheld", _("Upheld: the comment was hidden")
        DISMISSED = "dismissed", _("Dismissed")

    comment = models.ForeignKey(
        "comments.Comment",
        verbose_name=_("comment"),
        on_delete=models.CASCADE,
        related_name="reports",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.CASCADE,
        related_name="reports_made",
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    text = models.TextField(_("details"), max_length=REPORT_TEXT_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution = models.CharField(
        _("resolution"), max_length=10, choices=Resolution.choices, blank=True
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["comment", "reporter"], name="report_once_per_reader"),
        ]
        indexes = [
            models.Index(
                fields=["comment", "created_at"],
                condition=Q(resolved_at__isnull=True),
                name="report_open",
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()}: {self.comment_id}"

    @property
    def is_open(self):
        return self.resolved_at is None


class Appeal(models.Model):
    """The author asks the moderators to look again at a hidden comment; once per comment."""

    class Decision(models.TextChoices):
        GRANTED = "granted", _("Granted: the comment is shown again")
        DENIED = "denied", _("Denied: the comment stays hidden")

    comment = models.OneToOneField(
        "comments.Comment",
        verbose_name=_("comment"),
        on_delete=models.CASCADE,
        related_name="appeal",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.CASCADE,
        related_name="appeals",
    )
    text = models.TextField(_("appeal"), max_length=APPEAL_TEXT_MAX_LENGTH)
    created_at = models.DateTimeField(_("submitted"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(
        _("decision reason"), max_length=DECISION_REASON_MAX_LENGTH, blank=True
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(decided_at__isnull=True),
                name="appeal_open",
            ),
        ]

    def __str__(self):
        return f"{self.author} → {self.comment_id}"

    @property
    def is_open(self):
        return self.decided_at is None

    @property
    def is_granted(self):
        return self.decision == self.Decision.GRANTED


class SanctionQuerySet(models.QuerySet):
    def active(self, now=None):
        """Sanctions in force: not lifted, and a ban or a suspension not yet over."""
        now = now or timezone.now()
        return self.filter(lifted_at__isnull=True).filter(
            Q(kind=Sanction.Kind.BAN) | Q(until__gt=now)
        )


class Sanction(models.Model):
    """A suspension (until a time) or a ban (until lifted) from taking part in discussions."""

    class Kind(models.TextChoices):
        SUSPEND = "suspend", _("Suspension")
        BAN = "ban", _("Ban")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="sanctions",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    until = models.DateTimeField(_("until"), null=True, blank=True)
    reason = models.TextField(
        _("reason"),
        max_length=SANCTION_REASON_MAX_LENGTH,
        help_text=_("Shown to the user."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imposed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("imposed at"), default=timezone.now)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = SanctionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
        indexes = [
            models.Index(
                fields=["user"], condition=Q(lifted_at__isnull=True), name="sanction_not_lifted"
            ),
        ]
        constraints = [
            # A ban has no end; a suspension always has one.
            models.CheckConstraint(
                condition=Q(kind="ban", until__isnull=True)
                | Q(kind="suspend", until__isnull=False),
                name="sanction_until_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.user}"

    def is_in_force(self, now=None):
        now = now or timezone.now()
        if self.lifted_at is not None:
            return False
        return self.kind == self.Kind.BAN or (self.until is not None and self.until > now)


class BannedWord(models.Model):
    """A word, stem or expression that holds a comment for a moderator (comments.wordfilter)."""

    class Kind(models.TextChoices):
        STEM = "stem", _("Stem: the word and its endings")
        WORD = "word", _("Word: exactly this word")
        REGEX = "regex", _("Regular expression")

    pattern = models.CharField(_("pattern"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STEM)
    label = models.CharField(
        _("label"), max_length=100, blank=True, help_text=_("Shown to moderators, e.g. “mat”.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["pattern", "pk"]
        verbose_name = _("banned word")
        verbose_name_plural = _("banned words")
        constraints = [
            models.UniqueConstraint(fields=["pattern", "kind"], name="banned_word_once"),
        ]

    def __str__(self):
        return self.pattern

    def clean(self):
        super().clean()
        from comments.wordfilter import validate_pattern

        try:
            validate_pattern(self.pattern, self.kind)
        except ValueError as error:
            raise ValidationError(
                {
                    "pattern": ValidationError(
                        _("This pattern cannot be used: %(error)s"),
                        code="invalid_pattern",
                        params={"error": str(error)},
                    )
                }
            ) from None


class ModerationPolicy(models.Model):
    """The site's moderation settings: one row (pk=1), edited in the admin."""

    hold_links_from_new_accounts = models.BooleanField(
        _("hold links from new accounts"),
        default=True,
        help_text=_("A comment with a link from a new account waits for a moderator."),
    )
    new_account_hours = models.PositiveIntegerField(_("an account is new for (hours)"), default=24)
    hold_banned_words = models.BooleanField(
        _("hold comments with banned words"),
        default=True,
        help_text=_("A comment that contains an active banned word waits for a moderator."),
    )

    class Meta:
        verbose_name = _("moderation policy")
        verbose_name_plural = _("moderation policy")

    def __str__(self):
        return str(_("Moderation policy"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)
        cache.delete(POLICY_CACHE_KEY)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The moderation policy cannot be deleted."))

    @classmethod
    def get_solo(cls):
        """The policy, from the cache when possible (dropped on save)."""
        policy = cache.get(POLICY_CACHE_KEY)
        if policy is None:
            policy, _created = cls.objects.get_or_create(pk=1)
            cache.set(POLICY_CACHE_KEY, policy, 600)
        return policy


class AuditTrailIsAppendOnly(RuntimeError):
    """Moderation actions are written once and never changed or removed."""


class ModerationActionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditTrailIsAppendOnly("Moderation actions cannot be changed.")

    def delete(self):
        raise AuditTrailIsAppendOnly("Moderation actions cannot be deleted.")


class ModerationAction(models.Model):
    """The audit trail: who did what to which comment or account, and why."""

    class Action(models.TextChoices):
        HIDE = "hide", _("Hid a comment")
        SHOW = "show", _("Showed a hidden comment")
        APPROVE = "approve", _("Approved a comment")
        REJECT = "reject", _("Rejected a comment")
        DISMISS = "dismiss", _("Dismissed reports")
        SUSPEND = "suspend", _("Suspended an account")
        BAN = "ban", _("Banned an account")
        LIFT = "lift", _("Lifted a sanction")
        PIN = "pin", _("Pinned a comment")
        UNPIN = "unpin", _("Unpinned a comment")
        APPEAL_GRANTED = "appeal_granted", _("Granted an appeal")
        APPEAL_DENIED = "appeal_denied", _("Denied an appeal")
        HIDE_ALL = "hide_all", _("Hid all comments of an account")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderator"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="moderation_actions",
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    comment = models.ForeignKey(
        "comments.Comment",
        verbose_name=_("comment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="moderation_actions",
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="moderation_actions_received",
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    objects = ModerationActionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("moderation action")
        verbose_name_plural = _("moderation log")
        indexes = [
            models.Index(fields=["comment", "-created_at"], name="modaction_comment"),
            models.Index(fields=["target_user", "-created_at"], name="modaction_user"),
        ]

    def __str__(self):
        return f"{self.actor} {self.action} {self.comment_id or self.target_user_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("Moderation actions cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("Moderation actions cannot be deleted.")
