from django import template

from ..models import Appeal

register = template.Library()


@register.simple_tag
def appeal_of(comment):
    """The comment's appeal, or None. Free when the rows were loaded with
    select_related("appeal"); otherwise one query, asked only for the comments the
    template asks about (the reader's own hidden ones)."""
    try:
        return comment.appeal
    except Appeal.DoesNotExist:
        return None
