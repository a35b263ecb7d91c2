from django.shortcuts import get_object_or_404, render

from .models import Article


def article_detail(request, pk):
    article = get_object_or_404(Article, pk=pk)
    return render(request, "peerblog/article.html", {"object": article})
