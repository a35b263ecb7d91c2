from django import template
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.utils.http import url_has_allowed_host_and_scheme

register = template.Library()


@register.simple_tag(takes_context=True)
def account_next(context):
    """Where the header's log-in and sign-up links should bring the reader back to.

    The page being read; on allauth's pages (log-in, sign-up, password reset...), the
    `next` they were given, if any, so going from one to the other keeps it.
    """
    request = context.get("request")
    if request is None:
        return ""
    match = request.resolver_match
    url_name = (match.url_name or "") if match else ""
    if url_name.startswith("account_"):
        given = request.GET.get(REDIRECT_FIELD_NAME, "")
        if given and url_has_allowed_host_and_scheme(
            given, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return given
        return ""
    return request.get_full_path()
