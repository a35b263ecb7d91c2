from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import connection, models
from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import search
from . import tags as _tags  # noqa: F401  (connects the related-articles cache invalidation)
from .models import Article, ArticleImage, Category, Tag
from .services import publish_articles, unpublish_articles
from .text import CYRILLIC_TO_LATIN


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "name_kk", "name_en", "slug", "order")
    list_editable = ("order",)
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "name_kk", "name_en")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "article_count")
    search_fields = ("name", "slug")
    fields = ("name", "slug")

    def get_queryset(self, request):
        tags = super().get_queryset(request)
        return tags.annotate(article_count=Count("articles")).order_by("name")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if connection.vendor != "sqlite" or not term:
            return super().get_search_results(request, queryset, search_term)
        # SQLite compares only ASCII letters case-insensitively: "выб" must find "Выборы".
        search.ensure_fold_function()
        folded = queryset.annotate(folded_name=search.Folded("name"))
        return folded.filter(folded_name__contains=search.fold(term)), False

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, tag):
        return tag.article_count


class ArticleImageInline(admin.TabularInline):
    model = ArticleImage
    extra = 1
    fields = ("thumbnail", "image", "caption", "reference")
    readonly_fields = ("thumbnail", "reference")

    @admin.display(description=_("preview"))
    def thumbnail(self, image):
        picture = image.picture if image.pk else None
        if not picture:
            return "—"
        return format_html(
            '<img src="{}" alt="" width="120" style="height:auto">',
            default_storage.url(picture.renditions[0].jpeg),
        )

    @admin.display(description=_("paste into the text"))
    def reference(self, image):
        return image.markdown_reference or _("Save the article to get the code.")


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "publication_state",
        "category",
        "published_at",
        "author",
        "language",
        "is_featured",
    )
    list_filter = ("status", "category", "language", "is_featured", "comments_enabled")
    list_select_related = ("category", "author")
    search_fields = ("title", "lead", "body")
    date_hierarchy = "published_at"
    actions = ["publish", "unpublish"]
    inlines = [ArticleImageInline]
    autocomplete_fields = ("tags",)
    save_on_top = True
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("title", "slug", "lead", "body", "tags")}),
        (_("Cover"), {"fields": ("cover", "cover_caption")}),
        (
            _("Publication"),
            {
                "fields": (
                    "category",
                    "author",
                    "status",
                    "published_at",
                    "language",
                    "is_featured",
                    "comments_enabled",
                    "premoderate",
                    "source_url",
                )
            },
        ),
    )

    class Media:
        js = ("js/admin-slug.js",)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "transliteration_map": CYRILLIC_TO_LATIN}
        return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("state"), ordering="status")
    def publication_state(self, article):
        if article.status == Article.Status.DRAFT:
            return _("Draft")
        if article.published_at and article.published_at > timezone.now():
            return _("Scheduled")
        return _("Published")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "author":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Images uploaded in this same form only got their ids now; render the body again
        # so references to them become pictures.
        article = form.instance
        article.render_body()
        Article.objects.filter(pk=article.pk).update(body_html=article.body_html)

    @admin.action(description=_("Publish the selected articles"), permissions=["change"])
    def publish(self, request, queryset):
        count = publish_articles(queryset)
        self.message_user(
            request,
            ngettext("%(count)d article published.", "%(count)d articles published.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Withdraw the selected articles to drafts"), permissions=["change"])
    def unpublish(self, request, queryset):
        count = unpublish_articles(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d article withdrawn to drafts.",
                "%(count)d articles withdrawn to drafts.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
