import pytest
from django.utils import timezone

from articles.models import Article
from tests.factories import (
    PASSWORD,
    ArticleFactory,
    CategoryFactory,
    UserFactory,
    editor,
    image_upload,
    moderator,
)

pytestmark = pytest.mark.django_db


def log_in_through_admin(client, user):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": user.username, "password": PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 302, "the admin login form refused the editor"
    assert response["Location"] == "/admin/"


def article_form(category, **overrides):
    data = {
        "title": "Казахстанцы смогут выбирать акимов городов",
        "slug": "",
        "lead": "Новый закон вступит в силу в следующем году.",
        "body": "Первый абзац.\n\n## Подробности\n\nВторой абзац.",
        "cover_caption": "Фото редакции",
        "category": category.pk,
        "author": "",
        "status": "draft",
        "published_at_0": "",
        "published_at_1": "",
        "language": "ru",
        "comments_enabled": "on",
        "source_url": "",
        "images-TOTAL_FORMS": "1",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
        "images-0-caption": "",
    }
    data.update(overrides)
    return data


def test_editor_logs_in_creates_a_draft_with_a_cover_and_publishes_it(client):
    category = CategoryFactory(name="Политика", slug="politics")
    user = editor()
    log_in_through_admin(client, user)

    response = client.post(
        "/admin/articles/article/add/",
        article_form(category, cover=image_upload("akimat.jpg", width=1800, height=1000)),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get()
    assert article.slug == "kazahstantsy-smogut-vybirat-akimov-gorodov"
    assert article.status == Article.Status.DRAFT
    assert article.cover_picture is not None
    assert client.get(article.get_absolute_url()).status_code == 200  # the editor's preview
    client.logout()
    assert client.get(article.get_absolute_url()).status_code == 404  # a reader's view

    log_in_through_admin(client, user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    response = client.post(
        "/admin/articles/article/",
        {"action": "publish", "_selected_action": [article.pk]},
        follow=True,
    )
    assert "1 статья опубликована." in response.content.decode()
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article.published_at <= timezone.now()
    client.logout()
    page = client.get(article.get_absolute_url())
    assert page.status_code == 200
    assert "Казахстанцы смогут выбирать акимов городов" in page.content.decode()


def test_inline_image_uploaded_with_the_article_gets_a_reference_for_the_body(client):
    category = CategoryFactory()
    log_in_through_admin(client, editor())
    data = article_form(category, status="published")
    data["images-0-image"] = image_upload("bridge.jpg", width=900, height=600)
    data["images-0-caption"] = "Мост"

    assert client.post("/admin/articles/article/add/", data).status_code == 302

    article = Article.objects.get()
    image = article.images.get()
    assert image.markdown_reference == f"![Мост](image:{image.pk})"
    change_page = client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    assert image.markdown_reference in change_page

    data = article_form(category, status="published", body=f"Текст\n\n{image.markdown_reference}")
    data.update(
        {
            "slug": article.slug,
            "images-INITIAL_FORMS": "1",
            "images-0-id": str(image.pk),
            "images-0-article": str(article.pk),
            "images-0-caption": "Мост",
        }
    )
    assert client.post(f"/admin/articles/article/{article.pk}/change/", data).status_code == 302
    article.refresh_from_db()
    assert "<figure" in article.body_html and "Мост" in article.body_html


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            lambda: image_upload("broken.jpg", width=10, height=10).__class__(
                "broken.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", content_type="image/jpeg"
            ),
            "Загрузите правильное изображение",
        ),
        (lambda: image_upload("tiny.jpg", width=100, height=80), "не меньше 320×180"),
        (
            lambda: image_upload("huge.jpg", width=10_500, height=300),
            "не более 10000 пикс. по каждой стороне",
        ),
    ],
    ids=["broken", "too-small", "too-wide"],
)
def test_bad_cover_upload_gets_a_clear_error_and_nothing_is_saved(client, upload, message):
    category = CategoryFactory()
    log_in_through_admin(client, editor())
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"

    response = client.post("/admin/articles/article/add/", article_form(category, cover=upload()))

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    # What was typed is still in the form.
    assert "Казахстанцы смогут выбирать акимов городов" in page
    assert "Новый закон вступит в силу" in page
    assert not Article.objects.exists()


def test_editor_can_unpublish(client):
    article = ArticleFactory()
    log_in_through_admin(client, editor())
    client.post(
        "/admin/articles/article/", {"action": "unpublish", "_selected_action": [article.pk]}
    )
    assert client.get(article.get_absolute_url()).status_code == 200  # still previewable
    client.logout()
    assert client.get(article.get_absolute_url()).status_code == 404


def test_article_list_shows_state_and_filters(client):
    ArticleFactory(title="Опубликованная статья")
    ArticleFactory(title="Черновая статья", status=Article.Status.DRAFT, published_at=None)
    log_in_through_admin(client, editor())
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"

    page = client.get("/admin/articles/article/?status__exact=draft").content.decode()

    assert "Черновая статья" in page and "Опубликованная статья" not in page
    assert client.get("/admin/articles/article/?q=Опубликованная").status_code == 200


@pytest.mark.parametrize("make_user", [UserFactory, moderator], ids=["reader", "moderator"])
def test_readers_and_moderators_cannot_edit_articles(client, make_user):
    user = make_user()
    client.force_login(user)
    response = client.get("/admin/articles/article/add/")
    assert response.status_code in (302, 403)
    response = client.post("/admin/articles/article/add/", article_form(CategoryFactory()))
    assert response.status_code in (302, 403)
    assert not Article.objects.exists()
