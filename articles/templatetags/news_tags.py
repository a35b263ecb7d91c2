from django import template
from django.template.defaultfilters import date as format_date
from django.utils import timezone

register = template.Library()


@register.filter
def news_time(moment):
    """ "14:05" for today's stories, "24 ноября, 14:05" for older ones: a list of times
    alone reads as out of order once it spans midnight."""
    if not moment:
        return ""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return format_date(local, "H:i")
    return format_date(local, "j E, H:i")
