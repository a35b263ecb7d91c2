import io
from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.roles import EDITORS_GROUP, MODERATORS_GROUP
from articles.models import Article, Category

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"reader{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*(Group.objects.get(name=name) for name in extracted))
        if create:
            self.save()


def newsroom_group(name):
    """The group as its data migrations made it. Transactional tests empty the tables
    after each test (post_migrate brings permissions back, not data migrations' rows), so
    the group is rebuilt here when it is missing."""
    from django.contrib.auth.models import Permission

    from accounts.roles import EDITOR_PERMISSIONS, MODERATOR_PERMISSIONS

    group, created = Group.objects.get_or_create(name=name)
    if created:
        wanted = EDITOR_PERMISSIONS if name == EDITORS_GROUP else MODERATOR_PERMISSIONS
        for app_label, codename in [*wanted, ("comments", "pin_comment")]:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    return group


def editor(**kwargs):
    newsroom_group(EDITORS_GROUP)
    return UserFactory(is_staff=True, groups=[EDITORS_GROUP], **kwargs)


def moderator(**kwargs):
    newsroom_group(MODERATORS_GROUP)
    return UserFactory(is_staff=True, groups=[MODERATORS_GROUP], **kwargs)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Раздел {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")
    order = factory.Sequence(lambda n: n)


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Новость номер {n} о жизни города")
    lead = "Короткое вступление к новости."
    body = "Первый абзац новости.\n\nВторой абзац новости."
    category = factory.SubFactory(CategoryFactory)
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    language = "ru"


def image_bytes(width=1200, height=800, image_format="JPEG", color=(30, 120, 160), **save_kwargs):
    buffer = io.BytesIO()
    mode = "RGBA" if image_format == "PNG" else "RGB"
    Image.new(mode, (width, height), color).save(buffer, image_format, **save_kwargs)
    return buffer.getvalue()


def image_upload(name="photo.jpg", **kwargs):
    return SimpleUploadedFile(name, image_bytes(**kwargs), content_type="image/jpeg")


def comment(article, author=None, parent=None, body="Интересная новость, спасибо.", **fields):
    """A comment written the only way comments are written: through comments.tree."""
    from comments import tree
    from comments.models import Comment

    new = Comment(
        article=article, author=author or UserFactory(), parent=parent, body=body, **fields
    )
    return tree.insert_comment(new)
