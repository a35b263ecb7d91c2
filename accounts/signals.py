"""A user's cached copy (accounts.backends) is forgotten whenever the user changes."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from newsportal import snapshots

from .backends import snapshot_key


@receiver(post_save, sender=get_user_model())
@receiver(post_delete, sender=get_user_model())
def forget_cached_user(sender, instance, using, **kwargs):
    if snapshots.enabled():
        snapshots.forget(snapshot_key(instance.pk), using=using)
