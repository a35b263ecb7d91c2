from django.core.cache import cache
from django.utils.functional import SimpleLazyObject

from . import policy, services

PERMISSION_CACHE_SECONDS = 60


def _may_moderate(user):
    """The permission, remembered for a minute so that pages which do not check it
    themselves pay no query for the header link (the views always check afresh)."""
    if user.is_superuser:
        return user.is_active
    key = f"moderation:can-moderate:{user.pk}"
    allowed = cache.get(key)
    if allowed is None:
        allowed = policy.can_moderate(user)
        cache.set(key, allowed, PERMISSION_CACHE_SECONDS)
    return allowed


def moderation(request):
    """`moderation_counts` ({"reports", "pending", "hidden", "appeals", "open"}) and
    `hide_reasons` for moderators; nothing, and no query, for everyone else.

    Only staff are looked at: moderators and editors are staff in this newsroom, so
    readers' pages skip the permission lookup entirely.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not (user.is_staff or user.is_superuser):
        return {}

    def counts():
        return services.queue_counts() if _may_moderate(user) else {}

    return {
        "moderation_counts": SimpleLazyObject(counts),
        "hide_reasons": services.HIDE_REASONS,
    }
