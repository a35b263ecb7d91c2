from datetime import timedelta

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template.defaultfilters import date as format_date
from django.utils import timezone

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


class CommentsNode(template.Node):
    def __init__(self, discussion):
        self.discussion = discussion

    def render(self, context):
        discussion = self.discussion.resolve(context)
        renderer = CommentRenderer(context["request"], discussion.viewer, discussion.appeals)
        # Plain text, not mark_safe()'d: a node's output goes into the page as it is, and
        # wrapping megabytes of comments in a SafeString would copy them once more.
        return renderer.render_all(discussion.comments)


@register.tag
def render_comments(parser, token):
    """{% render_comments discussion %}: the page's comments in one pass (see
    comments.rendering for why not an include). Best kept outside {% if %} and {% with %}
    blocks: each block joins its output again, and a whole discussion is megabytes."""
    try:
        _tag, discussion = token.split_contents()
    except ValueError:
        raise template.TemplateSyntaxError("render_comments takes one argument") from None
    return CommentsNode(parser.compile_filter(discussion))
