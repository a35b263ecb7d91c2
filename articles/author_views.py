"""Author pages: /authors/<username>/ lists what a person has published."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.usernames import user_named

from .models import Article

ARTICLES_PER_PAGE = 12


def author_detail(request, username):
    # Former staff keep their page (their stories stay signed), so is_active is not asked;
    # a person with nothing published has no author page at all.
    person = user_named(username)
    if person is None:
        raise Http404
    if person.username != username:
        # One address per person, whatever the letter case in the link.
        url = reverse("author", kwargs={"username": person.username})
        if request.GET:
            url = f"{url}?{request.GET.urlencode()}"
        return redirect(url, permanent=True)
    articles = Article.objects.published().for_listing().filter(author=person)
    page = Paginator(articles, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    if not page.paginator.count:
        raise Http404
    return render(
        request,
        "articles/author.html",
        {"author": person, "page": page, "article_count": page.paginator.count},
    )
