"""Caches that follow the moderators' settings."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import policy
from .models import BannedWord


@receiver(post_save, sender=BannedWord)
@receiver(post_delete, sender=BannedWord)
def banned_words_changed(sender, **kwargs):
    policy.bump_banned_words()
