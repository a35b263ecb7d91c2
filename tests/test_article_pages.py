import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from articles.models import Article, ArticleImage
from tests.factories import ArticleFactory, CategoryFactory, UserFactory, editor, image_bytes

pytestmark = pytest.mark.django_db

ALMATY = ZoneInfo("Asia/Almaty")


@pytest.fixture
def society():
    return CategoryFactory(name="Общество", slug="society")


def test_article_page_shows_everything_a_reader_expects(russian, society):
    author = UserFactory(display_name="Айгерим Нурланова")
    article = ArticleFactory(
        title="Казахстанцы смогут выбирать акимов городов",
        lead="Закон вступит в силу в следующем году.",
        body=(
            "Первый абзац.\n\n## Что изменится\n\n> Это важный шаг, сказал эксперт.\n\n"
            "Подробнее [в документе](https://example.org/law)."
        ),
        category=society,
        author=author,
        published_at=datetime(2024, 9, 2, 11, 30, tzinfo=ALMATY),
        source_url="https://example.org/original",
        cover=ContentFile(image_bytes(2000, 1125), name="cover.jpg"),
        cover_caption="Здание акимата. Фото редакции",
    )

    response = russian.get(article.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 class="article__title">Казахстанцы смогут выбирать акимов городов</h1>' in page
    assert "2 сентября 2024, 11:30" in page
    assert "Закон вступит в силу" in page
    assert "Айгерим Нурланова" in page
    assert 'href="/society/"' in page and ">Общество<" in page
    assert "<h2>Что изменится</h2>" in page
    assert "<blockquote>" in page
    assert 'href="https://example.org/law"' in page
    assert (
        '<a href="https://example.org/original" rel="nofollow noopener noreferrer">'
        "Оригинал статьи</a>" in page
    )
    assert "Здание акимата. Фото редакции" in page
    # The cover comes as WebP and JPEG renditions in several widths, never the original.
    webp = re.search(r'<source type="image/webp" srcset="([^"]+)"', page).group(1)
    assert [item.split()[-1] for item in webp.split(", ")] == ["480w", "800w", "1200w", "1600w"]
    assert article.cover.url not in page
    assert 'id="comments"' in page


def test_publish_time_is_shown_in_almaty_time(russian, society):
    utc_time = datetime(2024, 3, 1, 20, 15, tzinfo=ZoneInfo("UTC"))  # Almaty is UTC+5
    article = ArticleFactory(category=society, published_at=utc_time)
    page = russian.get(article.get_absolute_url()).content.decode()
    assert "2 марта 2024, 01:15" in page


def test_inline_image_in_the_body_is_a_responsive_figure(russian, society):
    article = ArticleFactory(category=society)
    image = ArticleImage.objects.create(
        article=article,
        image=ContentFile(image_bytes(1000, 600), name="inline.png"),
        caption="Новый мост через Иртыш",
    )
    article.body = f"Текст до.\n\n![Мост вечером](image:{image.pk})\n\nТекст после."
    article.save()

    page = russian.get(article.get_absolute_url()).content.decode()

    figure = re.search(r'<figure class="figure">.*?</figure>', page, re.S).group(0)
    assert "Мост вечером" in figure
    assert "image/webp" in figure and "480w" in figure and "1000w" in figure


@pytest.mark.parametrize(
    "path_template",
    [
        "/{category}/{pk}-wrong-slug/",
        "/wrong-category/{pk}-{slug}/",
        "/wrong-category/{pk}-wrong/",
        "/{category}/{pk}/",
    ],
)
def test_non_canonical_urls_redirect_permanently(client, society, path_template):
    article = ArticleFactory(category=society, title="Новый мост через Иртыш")
    path = path_template.format(category=society.slug, pk=article.pk, slug=article.slug)

    response = client.get(path)

    assert response.status_code == 301
    assert response["Location"] == f"/society/{article.pk}-novyy-most-cherez-irtysh/"


def test_unknown_id_is_a_404_in_the_portals_look(russian, society):
    response = russian.get("/society/999999-nothing/")
    assert response.status_code == 404
    assert "Страница не найдена" in response.content.decode()
    assert 'class="site-header"' in response.content.decode()


@pytest.fixture
def draft(society):
    return ArticleFactory(category=society, status=Article.Status.DRAFT, published_at=None)


@pytest.fixture
def scheduled(society):
    return ArticleFactory(category=society, published_at=timezone.now() + timedelta(days=1))


@pytest.mark.parametrize("which", ["draft", "scheduled"])
def test_unpublished_articles_are_404_for_readers(client, request, which):
    article = request.getfixturevalue(which)
    assert client.get(article.get_absolute_url()).status_code == 404
    client.force_login(UserFactory())
    assert client.get(article.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("which", ["draft", "scheduled"])
def test_unpublished_articles_are_hidden_from_lists(client, request, which):
    article = request.getfixturevalue(which)
    assert article.title not in client.get("/").content.decode()
    assert article.title not in client.get(article.category.get_absolute_url()).content.decode()


def test_editors_preview_drafts_with_a_banner(russian, draft):
    russian.force_login(editor())
    response = russian.get(draft.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Предпросмотр: это черновик" in page
    assert '<meta name="robots" content="noindex">' in page


def test_editors_preview_scheduled_articles(russian, scheduled):
    russian.force_login(editor())
    page = russian.get(scheduled.get_absolute_url()).content.decode()
    assert "запланирована на" in page


def test_scheduled_article_appears_when_its_time_comes(client, society):
    article = ArticleFactory(category=society, published_at=timezone.now() + timedelta(seconds=1))
    assert client.get(article.get_absolute_url()).status_code == 404
    Article.objects.filter(pk=article.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    assert client.get(article.get_absolute_url()).status_code == 200


def test_home_has_a_lead_story_latest_news_and_sections(russian):
    politics = CategoryFactory(name="Политика", slug="politics", order=1)
    sport = CategoryFactory(name="Спорт", slug="sport", order=2)
    lead = ArticleFactory(
        category=politics,
        title="Главная новость дня",
        is_featured=True,
        published_at=timezone.now() - timedelta(hours=5),
    )
    fresh = ArticleFactory(category=sport, title="Свежая новость о футболе")
    ArticleFactory(category=politics, published_at=timezone.now() - timedelta(hours=6))

    page = russian.get("/").content.decode()

    lead_section = page.split('aria-label="Главная новость"')[1].split("</section>")[0]
    assert "Главная новость дня" in lead_section
    latest = page.split('id="latest-heading"')[1].split("</section>")[0]
    assert "Свежая новость о футболе" in latest and "Главная новость дня" not in latest
    assert page.index('id="section-politics"') < page.index('id="section-sport"')
    assert fresh.get_absolute_url() in page.split('id="section-sport"')[1]
    assert lead.get_absolute_url() in page


def test_home_shows_at_most_four_articles_per_section(client, society):
    ArticleFactory.create_batch(7, category=society)
    section = client.get("/").content.decode().split('id="section-society"')[1]
    assert section.split("</section>")[0].count('class="card"') == 4


def test_category_page_is_paginated_newest_first(russian, society):
    articles = [
        ArticleFactory(category=society, published_at=timezone.now() - timedelta(hours=n))
        for n in range(1, 15)
    ]
    first = russian.get("/society/").content.decode()
    second = russian.get("/society/?page=2").content.decode()

    assert first.index(articles[0].title) < first.index(articles[1].title)
    assert articles[11].title in first and articles[12].title not in first
    assert articles[12].title in second and articles[13].title in second
    assert "Страница 2 из 2" in second
    assert russian.get("/society/?page=999").status_code == 200
    assert russian.get("/nope/").status_code == 404


def test_kazakh_article_is_marked_with_its_language(client, society):
    article = ArticleFactory(category=society, language="kk", title="Алматыда жаңа саябақ ашылды")
    page = client.get(article.get_absolute_url()).content.decode()
    assert '<article class="article" lang="kk">' in page
    home = client.get("/").content.decode()
    assert 'lang="kk"' in home


@pytest.mark.parametrize("count", [3, 30])
def test_query_counts_do_not_grow_with_the_number_of_articles(
    client, django_assert_num_queries, count
):
    categories = [CategoryFactory() for _ in range(3)]
    for n in range(count):
        ArticleFactory(category=categories[n % 3], cover=None)
    client.get("/")  # warm the navigation cache

    with django_assert_num_queries(3):  # lead, latest, sections
        client.get("/")
    with django_assert_num_queries(3):  # category, count, page
        client.get(categories[0].get_absolute_url())
    article_url = Article.objects.select_related("category").first().get_absolute_url()
    client.get(article_url)  # its tags, "read also" and discussion are then cached
    with django_assert_num_queries(1):  # the article
        client.get(article_url)
    # Another sort, not drawn yet: its threads (none: no page to fetch); the counts above
    # the list are kept from the first draw.
    with django_assert_num_queries(2):
        client.get(f"{article_url}?csort=oldest")


@pytest.mark.parametrize(
    ("visible", "expected"),
    [(1, "1 комментарий"), (2, "2 комментария"), (5, "5 комментариев"), (21, "21 комментарий")],
)
def test_cards_count_visible_comments_in_russian_plurals(russian, society, visible, expected):
    from comments.models import Comment

    from .factories import comment

    article = ArticleFactory(category=society)
    for _ in range(visible):
        comment(article)
    comment(article, status=Comment.Status.HIDDEN)
    page = russian.get(society.get_absolute_url()).content.decode()
    assert f">{expected}</a>" in page
