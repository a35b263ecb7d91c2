"""The rules comments.services asks before a comment is written: may this user take part,
and is the new comment shown at once or held for a moderator?

Both are on the path of every comment, vote and reaction, so they stay cheap:
`check_can_participate` is one indexed query; `initial_status` asks no query for readers:
it reads the policy and the banned words' version from the shared cache in one round
trip, and each process compiles the banned words once per version.
"""

import functools
import logging
import re
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import POLICY_CACHE_KEY, BannedWord, ModerationPolicy, Sanction

logger = logging.getLogger(__name__)

MODERATE_PERMISSION = "comments.moderate_comment"
PIN_PERMISSION = "comments.pin_comment"

BANNED_WORDS_VERSION_KEY = "moderation:banned-words:version"
BANNED_WORDS_CACHE_SECONDS = 24 * 3600

# A web address: with a scheme, starting with www., or a bare domain under a common
# top-level domain ("casino-win.com", "t.me/channel"), which is how spam usually comes.
LINK = re.compile(
    r"(?:\bhttps?://|\bwww\.)\S+"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\."
    r"(?:com|net|org|info|biz|io|me|ru|kz|su|ua|by|uz|kg|tj|am|ge|az|xyz|top|online|site"
    r"|club|shop|store|pro|vip|win|bet|live|link|click|ly|to|cc|tk|ws|рф|қаз)"
    r"(?![\w-])(?:/\S*)?",
    re.IGNORECASE,
)


def can_moderate(user):
    """Whether the user may hide, show and approve comments (the permission decides)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.has_perm(MODERATE_PERMISSION)
    )


def can_pin(user):
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.has_perm(PIN_PERMISSION)
    )


def _is_newsroom(user):
    """Moderators and editors are staff here: a cheap pre-check that spares readers the
    permission queries on hot paths. The permission itself still decides."""
    return user.is_authenticated and (user.is_staff or user.is_superuser)


# Sanctions


def active_sanction(user, now=None):
    """The sanction in force on the user (a ban before any suspension, then the longest
    suspension), or None. One query: Sanction.objects.active(now) for this user, ordered
    by `until` descending with bans (no `until`) first, then the newest."""
    if not getattr(user, "is_authenticated", False):
        return None
    now = now or timezone.now()
    return next(
        iter(Sanction.objects.raw(_active_sanction_sql(), _in_force_params(user, now))), None
    )


@functools.cache
def _active_sanction_sql():
    # Written out because it is asked before every comment, vote, reaction and report,
    # and the ORM spends more CPU building this query (about 0.7 ms) than the database
    # spends answering it. tests/test_post_speed.py checks that it agrees with
    # Sanction.objects.active() on every kind of sanction.
    quote = connection.ops.quote_name
    meta = Sanction._meta
    until = quote(meta.get_field("until").column)
    return (
        f"SELECT * FROM {quote(meta.db_table)} WHERE {_in_force_condition()}"
        f" ORDER BY {until} DESC NULLS FIRST, {quote(meta.pk.column)} DESC LIMIT 1"
    )


@functools.cache
def _in_force_condition(alias=""):
    """The WHERE condition of a sanction in force on a user, with three parameters (see
    _in_force_params); alias qualifies the columns."""
    quote = connection.ops.quote_name
    meta = Sanction._meta
    prefix = f"{alias}." if alias else ""
    user, lifted_at, kind, until = (
        prefix + quote(meta.get_field(name).column)
        for name in ("user", "lifted_at", "kind", "until")
    )
    return f"{user} = %s AND {lifted_at} IS NULL AND ({kind} = %s OR {until} > %s)"


def _in_force_params(user, now):
    return [user.pk, Sanction.Kind.BAN, connection.ops.adapt_datetimefield_value(now)]


@functools.cache
def sanctioned_sql():
    """An SQL expression, true when a sanction is in force on a user, for a query that
    reads something else (comments.services reads it with the article a comment goes
    to); its parameters come from sanctioned_params(). Only a yes or no: the sanction
    itself, for its message, is active_sanction()'s to read."""
    quote = connection.ops.quote_name
    table = quote(Sanction._meta.db_table)
    return f"EXISTS (SELECT 1 FROM {table} AS sanction WHERE {_in_force_condition('sanction')})"


def sanctioned_params(user, now):
    return _in_force_params(user, now)


def is_sanctioned(user):
    return active_sanction(user) is not None


def sanction_message(sanction):
    """What the sanctioned user is told, in their language."""
    if sanction.kind == Sanction.Kind.BAN:
        return _("You can no longer take part in discussions. Reason: %(reason)s") % {
            "reason": sanction.reason
        }
    return _("You cannot take part in discussions until %(until)s. Reason: %(reason)s") % {
        "until": formats.date_format(timezone.localtime(sanction.until), "DATETIME_FORMAT"),
        "reason": sanction.reason,
    }


def check_can_participate(user):
    """Raise comments.services.CommentingClosed when the user is suspended or banned."""
    from comments.services import CommentingClosed

    sanction = active_sanction(user)
    if sanction is not None:
        raise CommentingClosed(sanction_message(sanction))


# Holding new comments


def bump_banned_words():
    """Make every process recompile the banned words (called on BannedWord save/delete)."""
    cache.set(BANNED_WORDS_VERSION_KEY, uuid.uuid4().hex, None)


def _banned_words_version(version=None):
    """The current version of the banned words (`version`: as already read, if it was)."""
    if version is None:
        version = cache.get(BANNED_WORDS_VERSION_KEY)
    if version is None:
        cache.add(BANNED_WORDS_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(BANNED_WORDS_VERSION_KEY) or "unversioned"
    return version


def _load_rules():
    """The active rules as (pattern, kind, label) tuples, leaving out (and logging) any
    that the word filter cannot use, so one bad row never stops every comment."""
    from comments.wordfilter import validate_pattern

    rules = []
    for pattern, kind, label in BannedWord.objects.filter(is_active=True).values_list(
        "pattern", "kind", "label"
    ):
        try:
            validate_pattern(pattern, kind)
        except ValueError as error:
            logger.warning("Banned word %r (%s) skipped: %s", pattern, kind, error)
            continue
        rules.append((pattern, kind, label))
    return rules


# Compiled matchers of this process, by version (only the latest is kept).
_matchers = {}


def banned_words_matcher(version=None):
    """The compiled active banned words. The rules are cached in Django's cache under a
    version that BannedWord signals bump; each process compiles a version once.
    `version`: the version key's value if the caller has just read it."""
    from comments.wordfilter import Rule, compile_rules

    version = _banned_words_version(version)
    matcher = _matchers.get(version)
    if matcher is None:
        key = f"moderation:banned-words:{version}"
        rules = cache.get(key)
        if rules is None:
            rules = _load_rules()
            cache.set(key, rules, BANNED_WORDS_CACHE_SECONDS)
        matcher = compile_rules([Rule(pattern, kind, label) for pattern, kind, label in rules])
        _matchers.clear()
        _matchers[version] = matcher
    return matcher


def has_link(text):
    return LINK.search(text or "") is not None


def is_new_account(user, hours, now=None):
    now = now or timezone.now()
    joined = getattr(user, "date_joined", None)
    return joined is not None and joined > now - timedelta(hours=hours)


def _policy_and_banned_words_version():
    """The moderation policy and the banned words' version, in one round trip to the
    cache (each is looked up on its own only when it is not there)."""
    found = cache.get_many([POLICY_CACHE_KEY, BANNED_WORDS_VERSION_KEY])
    policy = found.get(POLICY_CACHE_KEY) or ModerationPolicy.get_solo()
    return policy, found.get(BANNED_WORDS_VERSION_KEY)


def initial_status(user, article, body):
    """("pending", reason for the moderators) when the comment must wait for a moderator,
    otherwise ("visible", ""). Moderators are never held.

    The reason is written in the site's language (it is stored with the comment).
    """
    if _is_newsroom(user) and can_moderate(user):
        return "visible", ""
    with translation.override(settings.LANGUAGE_CODE):
        if article.premoderate:
            return "pending", _("The article is pre-moderated.")
        policy, words_version = _policy_and_banned_words_version()
        if policy.hold_banned_words:
            found = banned_words_matcher(words_version).find(body)
            if found:
                match = found[0]
                word = match.rule.label or match.rule.pattern
                return "pending", _("Banned word: “%(found)s” (%(rule)s).") % {
                    "found": match.found,
                    "rule": word,
                }
        if (
            policy.hold_links_from_new_accounts
            and has_link(body)
            and is_new_account(user, policy.new_account_hours)
        ):
            hours = policy.new_account_hours
            return "pending", ngettext(
                "A link from an account younger than %(hours)d hour.",
                "A link from an account younger than %(hours)d hours.",
                hours,
            ) % {"hours": hours}
    return "visible", ""
