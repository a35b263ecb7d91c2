from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from comments import discussion, fragments
from comments.forms import CommentForm
from newsportal import ratelimit

from . import frames, popularity, reader_page, services
from . import tags as article_tags
from .models import Article, Category

ARTICLES_PER_PAGE = 12
LATEST_ON_HOME = 10
PER_SECTION_ON_HOME = 4


def can_preview(user):
    return user.is_authenticated and user.is_staff and user.has_perm("articles.preview_article")


def home(request):
    published = Article.objects.published().for_listing()
    # The newest featured story leads; without one, simply the newest story.
    lead = published.order_by("-is_featured", "-published_at", "-pk").first()
    others = published.exclude(pk=lead.pk) if lead else published
    latest = list(others[:LATEST_ON_HOME])
    by_category = {}
    for article in others.latest_per_category(PER_SECTION_ON_HOME):
        by_category.setdefault(article.category_id, []).append(article)
    sections = [
        (article_list[0].category, article_list)
        for article_list in sorted(
            by_category.values(),
            key=lambda items: (items[0].category.order, items[0].category.name),
        )
    ]
    return render(
        request,
        "articles/home.html",
        {
            "lead": lead,
            "latest": latest,
            "sections": sections,
            "latest_comments": discussion.latest_comments(),
            "most_read": popularity.most_read(),
        },
    )


def category_detail(request, slug):
    category = get_object_or_404(Category, slug=slug)
    articles = Article.objects.published().for_listing().filter(category=category)
    page = Paginator(articles, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "articles/category.html",
        {"category": category, "page": page, "current_category_slug": category.slug},
    )


def article_detail(request, category_slug, pk, slug):
    # Signed-in readers' pages mostly come from the page they share, without loading the
    # article (see articles.reader_page); a stored page's URL passed the checks below.
    html = reader_page.serve_cached(request, pk)
    if html is not None:
        popularity.count_view(request, pk)
        return HttpResponse(html)
    related = Article.objects.select_related("category", "author", "stats")
    article = related.published().filter(pk=pk).first()
    # Drafts and scheduled articles exist only for the newsroom's previews; readers'
    # requests never pay for the permission check.
    if article is None:
        if not can_preview(request.user):
            raise Http404
        article = get_object_or_404(related, pk=pk)
    if article.slug != slug or article.category.slug != category_slug:
        return redirect(article, permanent=True)
    return render_article(request, article)


def render_article(request, article, comment_form=None, status=200):
    """The article page with its discussion; comment_form carries a rejected submission
    back with what the reader typed."""
    reply_to = request.GET.get("reply_to") if comment_form is None else None
    views = popularity.view_article(request, article)  # counted in the cache, not the DB
    if comment_form is None and article.is_public and reader_page.may_share(request):
        html = reader_page.serve(request, article, PageDrawing(article, views))
        if html is not None:
            return HttpResponse(html, status=status)
    if comment_form is None:
        comment_form = CommentForm(initial={"parent": reply_to} if reply_to else None)
    drawing = PageDrawing(article, views)
    # The frame around the discussion is the same for every anonymous reader (articles.frames).
    if not request.user.is_authenticated and article.is_public:
        frame = frames.kept(
            request,
            article.pk,
            "anonymous",
            settings.PAGE_CACHE_SECONDS,
            lambda: {"html": drawing.frame(request)},
        )["html"]
    else:
        frame = drawing.frame(request)
    discussion_html = drawing.discussion(request, comment_form, reply_to)
    return HttpResponse(frames.assemble(frame, request, discussion_html), status=status)


class PageDrawing:
    """Draws an article page's two parts: its frame and its discussion."""

    def __init__(self, article, views):
        self.article = article
        self.views = views

    def frame(self, request, extra_slots=None):
        """The page around the discussion, with the slots of articles.frames (and, for the
        signed-in stand-in, those of articles.reader_page)."""
        article = self.article
        extra_slots = extra_slots or {}
        tags, related = article_tags.tags_and_related(article)
        reactions_slot = extra_slots.get("reactions_slot")
        return render_to_string(
            "articles/article_detail.html",
            {
                "article": article,
                "is_preview": not article.is_public,
                "current_category_slug": article.category.slug,
                "latest_comments": discussion.latest_comments(),
                "reactions": []
                if reactions_slot
                else services.reaction_summary(article, request.user),
                "views": self.views,
                "article_tags": tags,
                "related": related,
                "most_read": popularity.most_read(),
                **frames.slots(),
                **extra_slots,
            },
            request=request,
        )

    def discussion(self, request, comment_form, reply_to=None):
        """The discussion section; anonymous readers all see the same one, drawn once and
        kept until it changes."""
        article = self.article
        sort = discussion.normalize_sort(request.GET.get("csort"))
        page_number = request.GET.get("cpage", "1")[:8]
        context = {
            "article": article,
            "comment_form": comment_form,
            "replying_to": self._replying_to(comment_form),
        }

        def draw():
            context["discussion"] = discussion.build(article, request.user, sort, page_number)
            return render_to_string("comments/_discussion.html", context, request=request)

        same_for_everyone = (
            not request.user.is_authenticated and not comment_form.is_bound and not reply_to
        )
        if same_for_everyone and article.is_public:
            key = fragments.fragment_key(article.pk, sort, page_number, request.LANGUAGE_CODE)
            return fragments.cached_fragment(key, draw)
        return draw()

    def _replying_to(self, comment_form):
        parent_id = comment_form["parent"].value()
        if not parent_id or not str(parent_id).isdigit():
            return None
        return self.article.comments.visible().select_related("author").filter(pk=parent_id).first()


@require_POST
def react(request, pk):
    """Toggle the reader's reaction; JSON for the page's script, a redirect without it."""
    article = get_object_or_404(Article.objects.published().select_related("category"), pk=pk)
    back = f"{article.get_absolute_url()}#reactions"
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not request.user.is_authenticated:
        if wants_json:
            return JsonResponse({"error": _("Log in to react.")}, status=401)
        return redirect_to_login(back)
    verdict = ratelimit.for_request(request, "reaction")
    if not verdict.allowed:
        return ratelimit.refused(request, verdict, back=back)
    try:
        services.react(request.user, article, request.POST.get("kind", ""))
    except PermissionDenied as error:
        if wants_json:
            return JsonResponse({"error": str(error)}, status=403)
        raise
    except ValidationError as error:
        if wants_json:
            return JsonResponse({"error": " ".join(error.messages)}, status=400)
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    if wants_json:
        return JsonResponse({"reactions": services.reaction_summary(article, request.user)})
    return redirect(back)
