"""Thin views over moderation.services.

Every action is a POST that works without JavaScript (then a redirect to a safe `next`, or
back to the comment) and answers JSON when the page's script asks (Accept:
application/json): {"ok": true, ...} or {"error": ...} with 400 or 403. Whatever is
refused answers 403 (anonymous visitors are sent to the login page, or get 401 in JSON)
and changes nothing.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from articles.models import Article
from comments.models import Comment
from newsportal import ratelimit

from . import policy, queues, services
from .forms import AppealForm, BulkForm, DecideAppealForm, ReasonForm, ReportForm, SanctionForm
from .models import Appeal, Report

Status = Comment.Status


def wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _message(error, default=None):
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    text = str(error) if error is not None else ""
    return text or default or _("You do not have permission to do this.")


def _form_error(form):
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


def _refused(request, error=None, status=403):
    message = _message(error)
    if wants_json(request):
        return JsonResponse({"error": message}, status=status)
    return render(request, "moderation/refused.html", {"message": message}, status=status)


def _to_login(request, next_url=None):
    if wants_json(request):
        return JsonResponse({"error": _("Log in first.")}, status=401)
    return redirect_to_login(next_url or request.get_full_path())


def _next_url(request, fallback):
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def _comment_url(comment):
    """Back to the comment: its permalink, or its moderation page if readers cannot reach
    the article."""
    if comment.article.is_public:
        return comment.get_absolute_url()
    return reverse("moderation:comment", kwargs={"pk": comment.pk})


def moderator_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _to_login(request)
        if not policy.can_moderate(request.user):
            return _refused(request, PermissionDenied(_("Only moderators can do this.")))
        return view(request, *args, **kwargs)

    return wrapper


def _comments():
    return Comment.objects.select_related("article__category", "author")


# Queues


@require_GET
@moderator_required
def queue(request):
    name = queues.normalize_queue(request.GET.get("queue"))
    page = queues.queue_page(name, request.GET.get("page") or 1)
    counts = services.queue_counts()
    return render(
        request,
        "moderation/queue.html",
        {
            "queue": name,
            "queues": [(key, label, counts.get(key, 0)) for key, label in queues.QUEUES.items()],
            "page": page,
            "items": page.object_list,
            "hide_reasons": services.HIDE_REASONS,
            "bulk_actions": _bulk_actions(name),
        },
    )


def _bulk_actions(name):
    if name == "reports":
        return ["hide", "dismiss"]
    if name == "pending":
        return ["approve", "hide"]
    return []


# One comment


ACTION_MESSAGES = {
    "hide": lambda: _("The comment is hidden."),
    "show": lambda: _("The comment is shown again."),
    "approve": lambda: _("The comment is published."),
    "reject": lambda: _("The comment is rejected."),
    "dismiss": lambda: _("The reports are dismissed."),
    "pin": lambda: _("The comment is now the editors' pick."),
    "unpin": lambda: _("The comment is no longer the editors' pick."),
}


def _invalid(request, error, back, level=messages.error):
    """A refused request that can be corrected: 400 for the page's script, otherwise the
    message and the way back."""
    if wants_json(request):
        return JsonResponse({"error": _message(error)}, status=400)
    level(request, _message(error))
    return redirect(back)


def _comment_html(request, comment):
    """The comment as the discussion draws it for this moderator, for the page's script."""
    from comments.views import comment_html

    return comment_html(request, comment)


@require_POST
def comment_action(request, pk, action):
    if not request.user.is_authenticated:
        return _to_login(request)
    comment = get_object_or_404(_comments(), pk=pk)
    try:
        # Who may act is settled before the form is read: a refusal is a 403, never a 400.
        if action in ("pin", "unpin"):
            services.check_can_pin(request.user)
        else:
            services.check_can_moderate(request.user)
        if action in ("hide", "reject"):
            form = ReasonForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_form_error(form))
            getattr(services, action)(request.user, comment, form.cleaned_data["final_reason"])
        elif action == "dismiss":
            services.dismiss_reports(request.user, comment)
        else:
            getattr(services, action)(request.user, comment)
    except PermissionDenied as error:
        return _refused(request, error)
    except ValidationError as error:
        return _invalid(request, error, _next_url(request, _comment_url(comment)))
    if wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "id": comment.pk,
                "status": comment.status,
                "status_label": comment.get_status_display(),
                "is_pinned": comment.is_pinned,
                "message": ACTION_MESSAGES[action](),
                "counts": services.queue_counts(),
                "html": _comment_html(request, comment),
            }
        )
    messages.success(request, ACTION_MESSAGES[action]())
    return redirect(_next_url(request, _comment_url(comment)))


@require_POST
@moderator_required
def bulk(request):
    fallback = reverse("moderation:queue")
    form = BulkForm(request.POST)
    if not form.is_valid():
        if wants_json(request):
            return JsonResponse({"error": _form_error(form)}, status=400)
        messages.error(request, _form_error(form))
        return redirect(_next_url(request, fallback))
    action = form.cleaned_data["action"]
    ids = form.cleaned_data["comment"]
    done, failed = [], {}
    found = _comments().filter(pk__in=ids).order_by("pk")
    for comment in found:
        try:
            if action == "hide":
                if comment.status == Status.PENDING:
                    services.reject(request.user, comment, form.cleaned_data["final_reason"])
                else:
                    services.hide(request.user, comment, form.cleaned_data["final_reason"])
            elif action == "approve":
                services.approve(request.user, comment)
            else:
                services.dismiss_reports(request.user, comment)
        except ValidationError as error:
            failed[comment.pk] = _message(error)
        else:
            done.append(comment.pk)
    for missing in set(ids) - {c.pk for c in found}:
        failed[missing] = _("The comment no longer exists.")
    if wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "done": done,
                "failed": {str(pk): text for pk, text in failed.items()},
                "counts": services.queue_counts(),
            }
        )
    if done:
        messages.success(
            request,
            ngettext("%(count)d comment done.", "%(count)d comments done.", len(done))
            % {"count": len(done)},
        )
    if failed:
        messages.warning(
            request,
            ngettext(
                "%(count)d comment skipped: its state has changed.",
                "%(count)d comments skipped: their state has changed.",
                len(failed),
            )
            % {"count": len(failed)},
        )
    return redirect(_next_url(request, fallback))


@require_GET
@moderator_required
def comment_detail(request, pk):
    comment = get_object_or_404(_comments().select_related("moderated_by", "parent__author"), pk=pk)
    ancestors, replies = queues.comment_context(comment)
    stats = queues.author_stats([comment.author_id]).get(comment.author_id, queues.AuthorStats())
    appeal = Appeal.objects.filter(comment=comment).select_related("decided_by").first()
    reports = list(Report.objects.filter(comment=comment).select_related("reporter", "resolved_by"))
    return render(
        request,
        "moderation/comment.html",
        {
            "comment": comment,
            "ancestors": ancestors,
            "replies": replies,
            "history": queues.comment_history(comment),
            "reports": reports,
            "open_report_count": sum(1 for report in reports if report.is_open),
            "appeal": appeal,
            "stats": stats,
            "hide_reasons": services.HIDE_REASONS,
            "can_pin": policy.can_pin(request.user),
        },
    )


# Readers and authors


@require_http_methods(["GET", "POST"])
def report(request, pk):
    comment = get_object_or_404(_comments().filter(article__in=Article.objects.published()), pk=pk)
    if not request.user.is_authenticated:
        return _to_login(request, reverse("moderation:report", kwargs={"pk": pk}))
    form = ReportForm(request.POST or None)
    try:
        services.check_can_report(request.user, comment)
        if request.method == "POST":
            if not form.is_valid():
                if wants_json(request):
                    return JsonResponse({"error": _form_error(form)}, status=400)
                return render(
                    request,
                    "moderation/report.html",
                    {"comment": comment, "form": form},
                    status=400,
                )
            verdict = ratelimit.for_request(request, "report")
            if not verdict.allowed:
                return ratelimit.refused(request, verdict, back=comment.get_absolute_url())
            services.report(
                request.user, comment, form.cleaned_data["reason"], form.cleaned_data["text"]
            )
    except PermissionDenied as error:
        return _refused(request, error)
    except ValidationError as error:
        return _invalid(request, error, comment.get_absolute_url(), level=messages.info)
    if request.method == "POST":
        thanks = _("Thank you, the moderators will take a look.")
        if wants_json(request):
            return JsonResponse({"ok": True, "message": thanks})
        messages.success(request, thanks)
        return redirect(comment.get_absolute_url())
    return render(request, "moderation/report.html", {"comment": comment, "form": form})


@require_http_methods(["GET", "POST"])
def appeal(request, pk):
    comment = get_object_or_404(_comments().select_related("moderated_by"), pk=pk)
    if not request.user.is_authenticated:
        return _to_login(request, reverse("moderation:appeal", kwargs={"pk": pk}))
    is_author = comment.author_id == request.user.pk
    is_moderator = policy.can_moderate(request.user)
    if not (is_author or is_moderator):
        return _refused(
            request,
            PermissionDenied(_("Only the author of a comment can appeal against hiding it.")),
        )
    existing = Appeal.objects.filter(comment=comment).select_related("decided_by").first()
    form = None
    if request.method == "POST":
        form = AppealForm(request.POST)
        try:
            services.check_can_appeal(request.user, comment)
            if form.is_valid():
                services.appeal(request.user, comment, form.cleaned_data["text"])
                sent = _("Your appeal has been sent. You will see the decision on this page.")
                if wants_json(request):
                    return JsonResponse({"ok": True, "message": sent})
                messages.success(request, sent)
                return redirect(reverse("moderation:appeal", kwargs={"pk": pk}))
            if wants_json(request):
                return JsonResponse({"error": _form_error(form)}, status=400)
        except PermissionDenied as error:
            return _refused(request, error)
        except ValidationError as error:
            return _invalid(request, error, reverse("moderation:appeal", kwargs={"pk": pk}))
    elif is_author and existing is None and comment.status == Status.HIDDEN:
        form = AppealForm()
    return render(
        request,
        "moderation/appeal.html",
        {
            "comment": comment,
            "appeal": existing,
            "form": form,
            "is_author": is_author,
            "decide_form": DecideAppealForm()
            if is_moderator and existing is not None and existing.is_open
            else None,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@moderator_required
def decide_appeal(request, pk):
    item = get_object_or_404(
        Appeal.objects.select_related("comment__article__category", "comment__author", "author"),
        pk=pk,
    )
    fallback = f"{reverse('moderation:queue')}?queue=appeals"
    form = DecideAppealForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_form_error(form))
        services.decide_appeal(
            request.user, item, form.cleaned_data["grant"], form.cleaned_data["reason"]
        )
    except PermissionDenied as error:
        return _refused(request, error)
    except ValidationError as error:
        return _invalid(request, error, _next_url(request, fallback))
    done = (
        _("The appeal is granted; the comment is shown again.")
        if item.is_granted
        else _("The appeal is denied.")
    )
    if wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "decision": item.decision,
                "status": Comment.objects.filter(pk=item.comment_id)
                .values_list("status", flat=True)
                .first(),
                "message": done,
                "counts": services.queue_counts(),
            }
        )
    messages.success(request, done)
    return redirect(_next_url(request, fallback))


# Accounts


@require_http_methods(["GET", "POST"])
@moderator_required
def user(request, pk):
    person = get_object_or_404(get_user_model(), pk=pk)
    try:
        services.check_can_sanction(request.user, person)
        can_sanction = True
    except PermissionDenied:
        can_sanction = False
    form = SanctionForm(request.POST or None)
    if request.method == "POST":
        if not can_sanction:
            return _refused(
                request,
                PermissionDenied(_("Moderators and administrators cannot be sanctioned here.")),
            )
        try:
            if not form.is_valid():
                raise ValidationError(_form_error(form))
            data = form.cleaned_data
            if data["action"] == "suspend":
                services.suspend(
                    request.user, person, data["days"], data["reason"], data["hide_comments"]
                )
                done = _("The account is suspended.")
            elif data["action"] == "ban":
                services.ban(request.user, person, data["reason"], data["hide_comments"])
                done = _("The account is banned.")
            else:
                services.lift(request.user, person)
                done = _("The sanction is lifted.")
        except PermissionDenied as error:
            return _refused(request, error)
        except ValidationError as error:
            if wants_json(request):
                return JsonResponse({"error": _message(error)}, status=400)
            messages.error(request, _message(error))
        else:
            if wants_json(request):
                return JsonResponse({"ok": True, "message": done})
            messages.success(request, done)
            return redirect(reverse("moderation:user", kwargs={"pk": pk}))
    comments, sanctions, actions = queues.user_history(person)
    stats = queues.author_stats([person.pk]).get(person.pk, queues.AuthorStats())
    return render(
        request,
        "moderation/user.html",
        {
            "person": person,
            "comments": comments,
            "sanctions": sanctions,
            "actions": actions,
            "stats": stats,
            "form": form,
            "can_sanction": can_sanction,
        },
        status=400 if request.method == "POST" else 200,
    )
