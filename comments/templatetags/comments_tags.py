from datetime import timedelta

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template.defaultfilters import date as format_date
from django.utils import timezone
from django.utils.safestring import mark_safe

from comments.formatting import excerpt
from comments.rendering import CommentRenderer

register = template.Library()

# Past this age a comment shows its date instead of "5 минут назад".
RELATIVE_FOR = timedelta(hours=12)


@register.filter
def comment_time(value):
    if not value:
        return ""
    if timezone.now() - value < RELATIVE_FOR:
        return naturaltime(value)
    return format_date(timezone.localtime(value), "DATETIME_FORMAT")


@register.filter(name="excerpt")
def excerpt_filter(text, limit=120):
    return excerpt(text, int(limit))


@register.simple_tag(takes_context=True)
def render_comments(context, discussion):
    """The page's comments in one pass (see comments.rendering for why not an include)."""
    renderer = CommentRenderer(context["request"], discussion.viewer, discussion.appeals)
    return mark_safe(renderer.render_all(discussion.comments))
