"""Thin views: parse the request, call a service, answer with a page, a redirect or JSON.

Every write works without JavaScript (POST, then redirect); the same URLs answer JSON when
the page's script asks for it (Accept: application/json), so posting happens in place."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from articles.models import Article
from articles.views import render_article
from newsportal import ratelimit

from . import discussion, services
from .forms import CommentForm, EditCommentForm
from .models import Comment
from .rendering import CommentRenderer


def wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def too_many(request, verdict, form, article):
    """A comment over the limit: the article again with the message, the text kept."""
    if wants_json(request):
        return ratelimit.refused(request, verdict, back=article.get_absolute_url())
    form.add_error(None, ratelimit.refusal_message(verdict))
    response = render_article(
        request, _published_article(article.pk), comment_form=form, status=429
    )
    response["Retry-After"] = str(verdict.retry_after)
    return response


def comment_url(comment, sort=discussion.DEFAULT_SORT):
    """The article page that shows the comment, scrolled to it."""
    page = discussion.page_of(comment, sort)
    query = f"?cpage={page}" if page > 1 else ""
    return f"{comment.article.get_absolute_url()}{query}#{comment.anchor}"


def comment_html(request, comment):
    """One comment as the page draws it, for the page's script to put in place. A removed
    comment with replies comes back as its placeholder; without replies, as nothing."""
    viewer = discussion.Viewer.of(request.user)
    items = discussion.shown_comments(
        [comment],
        viewer,
        comment.article,
        keep_placeholders=comment.rght > comment.lft + 1,
        # Always the reader's own comment (posted, edited, deleted): nothing of theirs to
        # look up, since nobody votes on their own comments.
        my_votes={},
    )
    if not items:
        return ""
    return CommentRenderer(request, viewer).render(items[0])


def permalink(request, pk):
    comment = get_object_or_404(
        Comment.objects.select_related("article__category").filter(
            article__in=Article.objects.published()
        ),
        pk=pk,
    )
    return redirect(comment_url(comment))


def _form_errors(form):
    return {name: [str(message) for message in errors] for name, errors in form.errors.items()}


def visible_total_after_posting(facts, comment, created):
    """How many visible comments the article has with this one, for the page's counter:
    the count read with the article, plus ours if it is new and shown, rather than a
    second COUNT over the discussion."""
    ours = 1 if created and comment.status == Comment.Status.VISIBLE else 0
    return facts.visible_comments + ours


def _published_article(article_pk):
    """The article in full, for the pages that draw it (a refused post without the
    page's script, the login's way back)."""
    return get_object_or_404(
        Article.objects.published().select_related("category", "author"), pk=article_pk
    )


@require_POST
def post(request, article_pk):
    if not request.user.is_authenticated:
        article = _published_article(article_pk)
        if wants_json(request):
            return JsonResponse({"error": _("Log in to take part in the discussion.")}, status=401)
        return redirect_to_login(f"{article.get_absolute_url()}#comment-form")

    form = CommentForm(request.POST)
    valid = form.is_valid()
    # One query for the article and what posting checks (services.article_for_posting).
    try:
        article, facts = services.article_for_posting(
            article_pk, request.user, form.cleaned_data.get("parent") if valid else None
        )
    except Article.DoesNotExist:
        raise Http404 from None
    if valid:
        verdict = ratelimit.for_request(request, "comment")
        if not verdict.allowed:
            return too_many(request, verdict, form=form, article=article)
        try:
            comment, created = services.post_comment(
                request.user,
                article,
                form.cleaned_data["body"],
                parent_id=form.cleaned_data["parent"],
                submission_token=form.cleaned_data["submission_token"],
                facts=facts,
            )
        except services.CommentingClosed as error:
            if wants_json(request):
                return JsonResponse({"error": str(error)}, status=403)
            messages.error(request, str(error))
            return redirect(article)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if wants_json(request):
                return JsonResponse(
                    {
                        "id": comment.pk,
                        "parent_id": comment.parent_id,
                        "html": comment_html(request, comment),
                        "total": visible_total_after_posting(facts, comment, created),
                    },
                    status=201,
                )
            if comment.status == Comment.Status.PENDING:
                messages.info(request, _("Your comment will appear once a moderator checks it."))
            else:
                messages.success(request, _("Your comment has been published."))
            return redirect(comment_url(comment))

    if wants_json(request):
        return JsonResponse({"errors": _form_errors(form)}, status=400)
    # Without JavaScript: the article again, the form keeping what was typed.
    return render_article(request, _published_article(article_pk), comment_form=form, status=400)


def _own_comment(request, pk):
    return get_object_or_404(Comment.objects.select_related("article__category", "author"), pk=pk)


def edit(request, pk):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    comment = _own_comment(request, pk)
    try:
        services.check_can_edit(request.user, comment)
    except PermissionDenied as error:
        if wants_json(request):
            return JsonResponse({"error": str(error)}, status=403)
        messages.error(request, str(error))
        return redirect(comment_url(comment))

    if request.method == "POST":
        form = EditCommentForm(request.POST)
        if form.is_valid():
            services.edit_comment(request.user, comment, form.cleaned_data["body"])
            if wants_json(request):
                return JsonResponse({"id": comment.pk, "html": comment_html(request, comment)})
            messages.success(request, _("Your comment has been saved."))
            return redirect(comment_url(comment))
        if wants_json(request):
            return JsonResponse({"errors": _form_errors(form)}, status=400)
        status = 400
    else:
        form = EditCommentForm(initial={"body": comment.body})
        status = 200
    return render(
        request,
        "comments/edit.html",
        {"form": form, "comment": comment, "article": comment.article},
        status=status,
    )


def delete(request, pk):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    comment = _own_comment(request, pk)
    if not services.can_delete(request.user, comment):
        raise PermissionDenied(_("You can only delete your own comments."))
    if request.method == "POST":
        services.delete_comment(request.user, comment)
        if wants_json(request):
            return JsonResponse(
                {
                    "id": comment.pk,
                    "html": comment_html(request, comment),
                    "total": discussion.visible_count(comment.article),
                }
            )
        messages.success(request, _("Your comment has been deleted."))
        return redirect(f"{comment.article.get_absolute_url()}#comments")
    return render(request, "comments/delete.html", {"comment": comment, "article": comment.article})


@require_POST
def vote(request, pk):
    comment = get_object_or_404(
        Comment.objects.select_related("article__category").filter(
            article__in=Article.objects.published()
        ),
        pk=pk,
    )
    if not request.user.is_authenticated:
        if wants_json(request):
            return JsonResponse({"error": _("Log in to vote.")}, status=401)
        return redirect_to_login(comment_url(comment))
    verdict = ratelimit.for_request(request, "vote")
    if not verdict.allowed:
        return ratelimit.refused(request, verdict, back=comment_url(comment))
    try:
        value = int(request.POST.get("value", ""))
    except ValueError:
        value = 0
    try:
        mine = services.vote(request.user, comment, value)
    except PermissionDenied as error:
        if wants_json(request):
            return JsonResponse({"error": str(error)}, status=403)
        raise
    except ValidationError as error:
        if wants_json(request):
            return JsonResponse({"error": " ".join(error.messages)}, status=400)
        messages.error(request, " ".join(error.messages))
        return redirect(comment_url(comment))
    if wants_json(request):
        comment.refresh_from_db(fields=["likes", "dislikes"])
        return JsonResponse(
            {"id": comment.pk, "likes": comment.likes, "dislikes": comment.dislikes, "mine": mine}
        )
    return redirect(comment_url(comment))
