"""Finding articles other than by section: search and tag pages."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from . import search as article_search
from .models import Article, Tag

RESULTS_PER_PAGE = 10
ARTICLES_PER_TAG_PAGE = 12


def search(request):
    """/search/?q=: ranked results with highlighted snippets; a calm page for anything."""
    text = article_search.clean_query(request.GET.get("q", ""))
    page = None
    if text:
        results = article_search.search(text)
        page = Paginator(results, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
        page.object_list = article_search.highlight(page.object_list, text)
    return render(
        request,
        "articles/search.html",
        {
            "search_query": text,
            "page": page,
            "page_suffix": f"&{urlencode({'q': text})}" if text else "",
        },
    )


def tag_detail(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    articles = Article.objects.published().for_listing().filter(tags=tag)
    page = Paginator(articles, ARTICLES_PER_TAG_PAGE).get_page(request.GET.get("page"))
    return render(request, "articles/tag.html", {"tag": tag, "page": page})
