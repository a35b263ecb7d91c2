from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from comments.models import Comment

from .forms import SettingsForm
from .usernames import user_named

COMMENTS_PER_PAGE = 20


def profile(request, username):
    """A reader's public page: who they are and what they wrote where others can read it."""
    person = user_named(username, is_active=True)
    if person is None:
        raise Http404
    if person.username != username:
        # One address per person: /users/айбалта/ becomes /users/Айбалта/.
        url = person.get_absolute_url()
        if request.GET:
            url = f"{url}?{urlencode(request.GET, doseq=True)}"
        return redirect(url, permanent=True)
    comments = (
        Comment.objects.public()
        .filter(author=person)
        .select_related("article")
        .only(
            "pk",
            "body_html",
            "created_at",
            "edited_at",
            "article__id",
            "article__title",
        )
        .order_by("-created_at", "-pk")
    )
    page = Paginator(comments, COMMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/profile.html",
        {"person": person, "page": page, "comment_count": page.paginator.count},
    )


@login_required
def settings(request):
    """The reader's own settings: public name and avatar."""
    if request.method == "POST":
        form = SettingsForm(request.POST, request.FILES, instance=request.user)
        if form.is_valid():
            form.save()
            messages.success(request, _("Settings saved"))
            return redirect("accounts:settings")
        # A failed validation must not leave a half-changed user on the request.
        request.user.refresh_from_db()
    else:
        form = SettingsForm(instance=request.user)
    return render(request, "accounts/settings.html", {"form": form, "person": request.user})
