"""{% page_seo as seo %}: what templates/articles/_seo_head.html writes into <head>."""

from django import template

from articles import seo

register = template.Library()


@register.simple_tag(takes_context=True)
def page_seo(context):
    """Meta for the page being drawn, chosen by what the template passed to the partial:
    seo_article, seo_category or seo_author (with `page` when it is paginated). Without
    any, the home page gets its basics and other pages nothing."""
    request = context.get("request")
    if request is None:
        return seo.PageMeta()
    if (article := context.get("seo_article")) is not None:
        return seo.article_meta(request, article)
    if (category := context.get("seo_category")) is not None:
        return seo.category_meta(request, category, context.get("page"))
    if (author := context.get("seo_author")) is not None:
        return seo.author_meta(request, author, context.get("page"))
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name == "home":
        return seo.home_meta(request)
    return seo.PageMeta()
