from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .images import RenditionsMixin, picture_from, validate_image_upload
from .markup import plain_text, render_body
from .querysets import ArticleQuerySet
from .text import SLUG_MAX_LENGTH, slugify_title, strip_invisible

# A long read is some 50,000 characters; a body ten times larger is a mistake or an attack,
# and rendering one would take seconds.
BODY_MAX_LENGTH = 200_000
IMAGE_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "gif"]
# Category slugs are the first segment of article URLs, so they must not shadow the site's
# own sections.
RESERVED_SLUGS = {
    "admin", "accounts", "i18n", "media", "static", "search", "feeds", "rss", "sitemap.xml",
    "robots.txt", "tags", "authors", "users", "comments", "moderation", "api", "healthz",
}  # fmt: skip


def validate_category_slug(value):
    if value in RESERVED_SLUGS:
        raise ValidationError(
            _("“%(slug)s” is used by the site itself; choose another slug."),
            code="reserved",
            params={"slug": value},
        )


def in_reader_language(name, name_kk="", name_en=""):
    """A section's name (or description) in the language the page is drawn in: the Kazakh
    or English one where the newsroom gave it, else the Russian one."""
    language = get_language()
    if language == "kk" and name_kk:
        return name_kk
    if language == "en" and name_en:
        return name_en
    return name


class Category(models.Model):
    name = models.CharField(_("name"), max_length=80)
    name_kk = models.CharField(
        _("name in Kazakh"),
        max_length=80,
        blank=True,
        help_text=_("Shown to readers who chose Kazakh; when empty they see the name above."),
    )
    name_en = models.CharField(
        _("name in English"),
        max_length=80,
        blank=True,
        help_text=_("Shown to readers who chose English; when empty they see the name above."),
    )
    slug = models.SlugField(
        _("slug"),
        max_length=60,
        unique=True,
        validators=[validate_category_slug],
        help_text=_("Latin letters, digits and hyphens; it becomes part of every article's URL."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    description = models.TextField(_("description"), blank=True)
    description_kk = models.TextField(
        _("description in Kazakh"),
        blank=True,
        help_text=_(
            "Shown to readers who chose Kazakh; when empty they see the description above."
        ),
    )
    description_en = models.TextField(
        _("description in English"),
        blank=True,
        help_text=_(
            "Shown to readers who chose English; when empty they see the description above."
        ),
    )

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:category", kwargs={"slug": self.slug})

    @property
    def display_name(self):
        return in_reader_language(self.name, self.name_kk, self.name_en)

    @property
    def display_description(self):
        return in_reader_language(self.description, self.description_kk, self.description_en)


class Tag(models.Model):
    """A topic that runs across sections ("Выборы-2024", "Алматы"); articles list theirs
    and every tag has a page at /tags/<slug>/."""

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(
        _("slug"),
        max_length=SLUG_MAX_LENGTH,
        unique=True,
        blank=True,
        help_text=_("Made from the name if left empty: Latin letters, digits and hyphens."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify_title(self.name) or "tag"
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("tag", kwargs={"slug": self.slug})

    def clean(self):
        self.name = " ".join(strip_invisible(self.name).split())
        if not self.slug:
            self.slug = slugify_title(self.name)
        if not self.slug:
            raise ValidationError(
                {"slug": _("The name has no letters or digits to make a slug of; enter one.")}
            )


def cover_upload_path(instance, filename):
    return f"covers/{timezone.now():%Y/%m}/{filename}"


def inline_upload_path(instance, filename):
    return f"images/{timezone.now():%Y/%m}/{filename}"


class Article(RenditionsMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Language(models.TextChoices):
        RUSSIAN = "ru", _("Russian")
        KAZAKH = "kk", _("Kazakh")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=SLUG_MAX_LENGTH,
        blank=True,
        help_text=_("Made from the title if left empty. Old links keep working if it changes."),
    )
    lead = models.TextField(
        _("lead"), max_length=600, help_text=_("One or two sentences shown under the title.")
    )
    body = models.TextField(
        _("body"),
        max_length=BODY_MAX_LENGTH,
        help_text=_(
            "Paragraphs are separated by a blank line. ## Heading, > quote, **bold**, "
            "*italic*, [link text](https://…), - list item. An image uploaded below: "
            "![caption](image:ID)."
        ),
    )
    body_html = models.TextField(editable=False, default="")
    cover = models.ImageField(
        _("cover image"),
        upload_to=cover_upload_path,
        blank=True,
        validators=[FileExtensionValidator(IMAGE_EXTENSIONS), validate_image_upload],
    )
    cover_caption = models.CharField(
        _("cover caption"),
        max_length=250,
        blank=True,
        help_text=_("What it shows and whose photo."),
    )
    cover_renditions = models.JSONField(default=dict, blank=True, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="articles"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(
        _("publication time"),
        null=True,
        blank=True,
        help_text=_("A time in the future schedules the article. Empty: now, when published."),
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.RUSSIAN
    )
    source_url = models.URLField(
        _("original article"), max_length=500, blank=True, help_text=_("Link to the source.")
    )
    is_featured = models.BooleanField(
        _("lead story"), default=False, help_text=_("Shown at the top of the home page.")
    )
    comments_enabled = models.BooleanField(_("comments open"), default=True)
    premoderate = models.BooleanField(
        _("pre-moderate comments"),
        default=False,
        help_text=_("Every comment waits for a moderator's approval before readers see it."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="articles")

    objects = ArticleQuerySet.as_manager()

    image_field_name = "cover"
    renditions_field_name = "cover_renditions"

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_status_published"),
            models.Index(fields=["category", "-published_at"], name="article_category_published"),
        ]
        permissions = [("preview_article", _("Can preview unpublished articles"))]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # Bidi overrides and zero-width characters reorder or hide text; no story needs them.
        for name in ("title", "lead", "body", "cover_caption"):
            setattr(self, name, strip_invisible(getattr(self, name)))
        if not self.slug:
            self.slug = slugify_title(self.title) or "article"
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        self.prepare_image()
        self.render_body()
        super().save(*args, **kwargs)
        if self.refresh_renditions():
            type(self).objects.filter(pk=self.pk).update(cover_renditions=self.cover_renditions)

    def get_absolute_url(self):
        return reverse(
            "articles:detail",
            kwargs={"category_slug": self.category.slug, "pk": self.pk, "slug": self.slug},
        )

    @property
    def is_public(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def is_scheduled(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )

    @cached_property
    def cover_picture(self):
        return picture_from(
            self.cover_renditions, alt=self.cover_caption or self.title, caption=self.cover_caption
        )

    @property
    def description(self):
        return plain_text(self.lead, limit=300)

    def render_body(self):
        images = {image.pk: image for image in self.images.all()} if self.pk else {}
        self.body_html = render_body(self.body, images)


class ArticleImage(RenditionsMixin, models.Model):
    """An image placed inside an article's body with ![caption](image:ID)."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="images"
    )
    image = models.ImageField(
        _("image"),
        upload_to=inline_upload_path,
        validators=[FileExtensionValidator(IMAGE_EXTENSIONS), validate_image_upload],
    )
    caption = models.CharField(_("caption"), max_length=250, blank=True)
    renditions = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("image in the text")
        verbose_name_plural = _("images in the text")

    def __str__(self):
        return self.caption or self.image.name

    def save(self, *args, **kwargs):
        self.prepare_image()
        super().save(*args, **kwargs)
        if self.refresh_renditions():
            type(self).objects.filter(pk=self.pk).update(renditions=self.renditions)

    @property
    def markdown_reference(self):
        return f"![{self.caption}](image:{self.pk})" if self.pk else ""

    @cached_property
    def picture(self):
        return picture_from(self.renditions, alt=self.caption, caption=self.caption)

    def picture_with(self, alt, caption):
        picture = self.picture
        return picture_from(self.renditions, alt=alt, caption=caption) if picture else None


class Reaction(models.TextChoices):
    """ "Как вам публикация?": the reactions a reader can leave under an article."""

    LIKE = "like", _("Like")
    LAUGH = "laugh", _("Funny")
    WOW = "wow", _("Surprising")
    SAD = "sad", _("Sad")
    ANGRY = "angry", _("Outrageous")


REACTION_EMOJI = {
    Reaction.LIKE: "👍",
    Reaction.LAUGH: "😂",
    Reaction.WOW: "😮",
    Reaction.SAD: "😢",
    Reaction.ANGRY: "😡",
}


class ArticleReaction(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="article_reactions"
    )
    kind = models.CharField(_("reaction"), max_length=10, choices=Reaction)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            # One reaction per reader per article, whatever the client sends.
            models.UniqueConstraint(fields=["article", "user"], name="one_reaction_per_reader")
        ]

    def __str__(self):
        return f"{REACTION_EMOJI.get(self.kind, self.kind)} {self.user_id} → {self.article_id}"


class ArticleStats(models.Model):
    """Counters kept beside the article rather than in it, so that an editor saving the
    article in the admin can never write back stale numbers. Updated only with F()."""

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="stats"
    )
    like = models.PositiveIntegerField(default=0)
    laugh = models.PositiveIntegerField(default=0)
    wow = models.PositiveIntegerField(default=0)
    sad = models.PositiveIntegerField(default=0)
    angry = models.PositiveIntegerField(default=0)
    # Readers' views, counted in the cache and added here in batches (articles.popularity).
    views = models.PositiveBigIntegerField(_("views"), default=0)

    class Meta:
        verbose_name = _("article counters")
        verbose_name_plural = _("article counters")

    def __str__(self):
        return f"counters of article {self.article_id}"

    def reaction_counts(self):
        return {kind: getattr(self, kind) for kind in Reaction.values}


class ArticleDailyViews(models.Model):
    """Views of an article on one day (Almaty time), for the "most read" windows. Rows are
    only ever added to with F() by articles.popularity.flush()."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="daily_views")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("views per day")
        verbose_name_plural = _("views per day")
        constraints = [
            models.UniqueConstraint(fields=["article", "day"], name="article_daily_views_once")
        ]
        indexes = [models.Index(fields=["day", "article"], name="article_daily_views_day")]

    def __str__(self):
        return f"{self.article_id} on {self.day}: {self.views}"
