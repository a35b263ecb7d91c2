"""Accounts: sign-up and log-in through allauth, usernames, profiles, settings, avatars."""

import html
import io
import re
import struct
import zlib
from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.usernames import username_key
from articles.models import Article
from comments.models import Comment
from comments.tree import insert_comment
from tests.factories import PASSWORD, ArticleFactory, UserFactory, image_bytes

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "Steppe-wind-2024!"


def signup_data(username, email=None, password=NEW_PASSWORD, **extra):
    return {
        "username": username,
        "email": email or "reader@example.com",
        "password1": password,
        "password2": password,
        **extra,
    }


def page_text(response):
    return html.unescape(response.content.decode())


def add_comment(article, author, status=Comment.Status.VISIBLE, body="Комментарий", **fields):
    return insert_comment(
        Comment(article=article, author=author, body=body, status=status, **fields)
    )


# Sign-up --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username",
    [
        "23394288",
        "Владимир60",
        "Неравнодушный",
        "Айбалта",
        "Әсел_Ғалымқызы",
        "Ұлжан.Үшкемпір",
        "Қайрат-аға",
        "Һәкім",
        "aigerim.k",
        "ivan_petrov-2",
    ],
)
def test_sign_up_with_cyrillic_kazakh_latin_or_digits_only(russian, username):
    response = russian.post(reverse("account_signup"), signup_data(username))

    assert response.status_code == 302, page_text(response)
    assert response["Location"] == "/"
    user = User.objects.get(username=username)
    assert user.username_key == username.casefold()
    assert user.email == "reader@example.com"
    # Signed up means logged in (e-mail verification is optional in development).
    assert russian.get("/").wsgi_request.user == user


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("ivan petrov", "не может содержать пробелы"),
        ("ivan@mail.kz", "не может содержать @"),
        ("smile😀", "не допускаются: 😀"),
        ("Иван!", "не допускаются: !"),
        ("ab", "не менее 3"),
        ("Ж" * 31, "не более 30"),
        ("_._", "хотя бы одну букву или цифру"),
        ("admin", "зарезервировано"),
        ("Модератор", "зарезервировано"),
        ("Аdmin", "зарезервировано"),  # a Cyrillic А passing for a Latin A
    ],
)
def test_bad_usernames_are_refused_with_a_clear_message_and_the_email_is_kept(
    russian, username, message
):
    response = russian.post(reverse("account_signup"), signup_data(username, "typed@example.com"))

    assert response.status_code == 200
    text = page_text(response)
    assert message in text
    assert 'class="auth-field__error"' in text
    assert 'value="typed@example.com"' in text
    assert not User.objects.filter(email="typed@example.com").exists()


def test_sign_up_page_explains_the_username_rules(russian):
    response = russian.get(reverse("account_signup"))

    text = page_text(response)
    assert "Регистрация" in text or "Зарегистрируйтесь" in text
    assert "3–30 символов" in text
    assert 'maxlength="30"' in text


def test_the_same_name_in_another_case_is_taken(russian):
    assert russian.post(reverse("account_signup"), signup_data("Айбалта")).status_code == 302
    russian.post(reverse("account_logout"))

    response = russian.post(reverse("account_signup"), signup_data("айбалта", "other@example.com"))

    assert response.status_code == 200
    assert "«айбалта» уже занято" in page_text(response)
    assert 'value="other@example.com"' in page_text(response)
    assert User.objects.filter(username_key="айбалта").count() == 1
    assert User.objects.count() == 1


def test_existing_account_blocks_an_upper_case_copy(russian):
    UserFactory(username="Ақжүніс", email="akzhunis@example.com")

    response = russian.post(reverse("account_signup"), signup_data("АҚЖҮНІС"))

    assert response.status_code == 200
    assert "уже занято" in page_text(response)


def test_username_key_is_kept_in_step_with_the_username():
    user = UserFactory(username="Ерлан_К")
    user.username = "ЕРЛАН_КК"
    user.save(update_fields=["username"])

    user.refresh_from_db()
    assert user.username_key == "ерлан_кк" == username_key("Ерлан_КК")


# Log-in and log-out ---------------------------------------------------------------------


@pytest.fixture
def aibalta():
    return UserFactory(username="Айбалта", email="aibalta@example.com")


@pytest.mark.parametrize("login", ["Айбалта", "айбалта", "АЙБАЛТА", "aibalta@example.com"])
def test_log_in_by_username_in_any_case_or_by_email(client, aibalta, login):
    response = client.post(reverse("account_login"), {"login": login, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").wsgi_request.user == aibalta


def test_wrong_password_is_refused_in_russian(russian, aibalta):
    response = russian.post(reverse("account_login"), {"login": "айбалта", "password": "nope"})

    assert response.status_code == 200
    assert "не верны" in page_text(response) or "неверн" in page_text(response).lower()
    assert not response.wsgi_request.user.is_authenticated


def test_login_page_is_the_portals_page_in_russian(russian):
    response = russian.get(reverse("account_login"))

    text = page_text(response)
    assert response.status_code == 200
    assert 'class="site-header"' in text  # inside the portal's own layout
    assert "css/accounts.css" in text
    assert 'class="auth-form' in text
    assert "Войти" in text
    assert '<label for="id_login">' in text


def test_logout_is_a_post(client, aibalta):
    client.force_login(aibalta)

    response = client.get(reverse("account_logout"))
    assert response.status_code == 200  # a confirmation page, still logged in
    assert client.get("/").wsgi_request.user == aibalta

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert not client.get("/").wsgi_request.user.is_authenticated


# Coming back to the story (next) ----------------------------------------------------------

COMMENT_FORM = "/society/12-slug/#comment-form"
REPLY_FORM = "/society/12-slug/?reply_to=5#comment-form"


def hidden_next(response):
    """The next the page's log-in or sign-up form carries (not the language switcher's)."""
    form = response.content.decode().split('class="auth-form', 1)[1]
    return html.unescape(re.search(r'name="next" value="([^"]*)"', form)[1])


@pytest.mark.parametrize("next_url", [COMMENT_FORM, REPLY_FORM])
def test_log_in_returns_to_next(client, aibalta, next_url):
    login_url = reverse("account_login")
    page = client.get(login_url, {"next": next_url})
    assert hidden_next(page) == next_url

    response = client.post(
        login_url, {"login": "айбалта", "password": PASSWORD, "next": hidden_next(page)}
    )

    assert response.status_code == 302
    assert response["Location"] == next_url


def test_the_encoded_fragment_from_a_link_survives_log_in(client, aibalta):
    # The comment form's "войдите" link: the fragment travels encoded as %23.
    response = client.post(
        "/accounts/login/?next=/society/12-slug/%23comment-form",
        {"login": "Айбалта", "password": PASSWORD},
    )

    assert response["Location"] == COMMENT_FORM


@pytest.mark.parametrize("next_url", [COMMENT_FORM, REPLY_FORM])
def test_from_log_in_to_sign_up_and_back_to_next(client, next_url):
    login_page = client.get(reverse("account_login"), {"next": next_url})
    # The log-in page's "sign up" link carries next along...
    signup_href = html.unescape(
        re.search(r'href="(/accounts/signup/[^"]*)"', login_page.content.decode())[1]
    )
    assert unquote(signup_href.split("next=", 1)[1]) == next_url

    signup_page = client.get(signup_href)
    assert hidden_next(signup_page) == next_url

    response = client.post(
        reverse("account_signup"), signup_data("Неравнодушный", next=hidden_next(signup_page))
    )

    assert response.status_code == 302
    assert response["Location"] == next_url
    assert client.get("/").wsgi_request.user.username == "Неравнодушный"


@pytest.mark.parametrize(
    "evil",
    ["https://evil.example/", "//evil.example/", "https:evil.example", "javascript:alert(1)"],
)
def test_next_never_leads_off_the_site(client, aibalta, evil):
    response = client.post(
        reverse("account_login"), {"login": "Айбалта", "password": PASSWORD, "next": evil}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"

    client.post(reverse("account_logout"))
    response = client.post(reverse("account_signup"), signup_data("Владимир60", next=evil))
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_header_links_bring_the_reader_back(client):
    article = ArticleFactory()

    page = page_text(client.get(article.get_absolute_url()))

    nav = header_nav(page)
    assert f'href="/accounts/login/?next={article.get_absolute_url()}"' in nav
    assert f'href="/accounts/signup/?next={article.get_absolute_url()}"' in nav


def header_nav(page):
    return page.split('<nav class="account-nav"', 1)[1].split("</nav>", 1)[0]


def test_header_links_on_account_pages_keep_their_next(client):
    page = page_text(
        client.get("/accounts/login/?next=/society/12-slug/%3Freply_to%3D5%23comment-form")
    )
    nav = header_nav(page)
    assert 'href="/accounts/signup/?next=/society/12-slug/%3Freply_to%3D5%23comment-form"' in nav
    assert 'href="/accounts/login/?next=/society/12-slug/%3Freply_to%3D5%23comment-form"' in nav

    # ...but never send the reader back to a log-in or password page itself.
    nav = header_nav(page_text(client.get(reverse("account_reset_password"))))
    assert f'href="{reverse("account_login")}"' in nav
    assert f'href="{reverse("account_signup")}"' in nav


def test_header_of_a_logged_in_reader(russian):
    user = UserFactory(username="Айбалта", display_name="Айбалта Серикова")
    russian.force_login(user)

    page = page_text(russian.get("/"))

    assert f'<a class="account-nav__name" href="{user.get_absolute_url()}">' in page
    assert "Айбалта Серикова" in page
    assert f'href="{reverse("accounts:settings")}">Настройки</a>' in page
    assert f'action="{reverse("account_logout")}"' in page


# Password reset -----------------------------------------------------------------------------


def test_password_reset_sends_a_russian_mail(russian, aibalta):
    response = russian.post(reverse("account_reset_password"), {"email": "aibalta@example.com"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["aibalta@example.com"]
    assert "сброс" in message.subject.lower()
    assert "сброс пароля" in message.body
    assert "/accounts/password/reset/key/" in message.body


def test_a_reset_password_leads_back_to_logging_in_with_it(russian, aibalta):
    russian.post(reverse("account_reset_password"), {"email": "aibalta@example.com"})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[0].body)
    form_page = russian.get(link.group(1), follow=True)  # allauth moves the key aside
    new_password = "степной-ветер-2024"
    done = russian.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": new_password, "password2": new_password},
        follow=True,
    )
    page = done.content.decode()
    assert "Ваш пароль изменён." in page
    # Beside the header's "Войти": a button, the page's way on.
    assert f'<a href="{reverse("account_login")}" class="button auth-button--wide">' in page
    russian.logout()
    assert russian.login(username="Айбалта", password=new_password)


# Public profile -------------------------------------------------------------------------------


@pytest.fixture
def writer():
    return UserFactory(username="Владимир60", display_name="Владимир")


def test_profile_shows_visible_comments_only(russian, writer):
    article = ArticleFactory(title="Акимов будут выбирать")
    draft = ArticleFactory(title="Черновик редакции", status=Article.Status.DRAFT)
    shown = add_comment(article, writer, body="Хорошая новость")
    add_comment(article, writer, Comment.Status.HIDDEN, body="Скрытый модератором")
    add_comment(article, writer, Comment.Status.PENDING, body="Ждёт проверки")
    add_comment(article, writer, Comment.Status.DELETED, body="Удалён автором")
    add_comment(draft, writer, body="Под черновиком")
    add_comment(article, UserFactory(), body="Чужой комментарий")

    response = russian.get(writer.get_absolute_url())

    assert response.status_code == 200
    text = page_text(response)
    assert "<h1" in text and "Владимир</h1>" in text
    assert "@Владимир60" in text
    assert "На сайте с" in text
    assert "1 комментарий" in text
    assert "Хорошая новость" in text
    assert f'href="{shown.get_absolute_url()}">Акимов будут выбирать</a>' in text
    for hidden in ("Скрытый", "Ждёт проверки", "Удалён автором", "Под черновиком", "Чужой"):
        assert hidden not in text
    assert "Черновик редакции" not in text


def test_profile_lists_newest_first_twenty_a_page(client, writer):
    article = ArticleFactory()
    start = timezone.now() - timedelta(days=2)
    for number in range(25):
        add_comment(
            article,
            writer,
            body=f"Мнение номер {number:02d}",
            created_at=start + timedelta(minutes=number),
        )

    first = page_text(client.get(writer.get_absolute_url()))
    second = page_text(client.get(writer.get_absolute_url(), {"page": 2}))

    numbers = [int(n) for n in re.findall(r"Мнение номер (\d\d)", first)]
    assert numbers == list(range(24, 4, -1))
    assert [int(n) for n in re.findall(r"Мнение номер (\d\d)", second)] == [4, 3, 2, 1, 0]


def test_unknown_or_closed_accounts_are_not_found(client):
    assert client.get("/users/nobody-here/").status_code == 404
    closed = UserFactory(username="closed", is_active=False)
    assert client.get(closed.get_absolute_url()).status_code == 404


def test_profile_in_another_case_redirects_permanently(client):
    UserFactory(username="Айбалта")

    response = client.get("/users/айбалта/", {"page": 2})

    assert response.status_code == 301
    assert unquote(response["Location"]) == "/users/Айбалта/?page=2"


@pytest.mark.parametrize("count", [3, 30])
def test_profile_query_count_does_not_grow_with_comments(
    client, writer, count, django_assert_num_queries
):
    articles = [ArticleFactory() for _ in range(3)]
    for number in range(count):
        add_comment(articles[number % 3], writer)
    client.get("/")  # warm the navigation cache

    # The person, the count of their comments, one page of comments with their articles.
    with django_assert_num_queries(3):
        response = client.get(writer.get_absolute_url())

    assert response.status_code == 200
    assert response.content.decode().count('class="profile-comment"') == min(count, 20)


# Avatar partial ---------------------------------------------------------------------------------


def test_avatar_partial_draws_a_letter_or_the_picture():
    person = UserFactory(username="ұлжан", display_name="")
    letter = render_to_string("accounts/_avatar.html", {"person": person, "size": "small"})
    assert "avatar--letter" in letter and "avatar--small" in letter
    assert ">Ұ</span>" in letter

    person.avatar.save("a.jpg", ContentFile(image_bytes(256, 256)), save=True)
    picture = render_to_string("accounts/_avatar.html", {"person": person})
    assert f'<img class="avatar" src="{person.avatar.url}"' in picture


# Settings page --------------------------------------------------------------------------------


def jpeg_with_metadata(width=800, height=600):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (43.0, 15.0, 0.0)}  # GPS latitude, Almaty
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png_bomb(width=30_000, height=30_000):
    """A tiny PNG whose header claims 900 megapixels."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def reader(russian):
    user = UserFactory(username="Гүлнар.А", display_name="Гүлнар")
    russian.force_login(user)
    return user


def settings_url():
    return reverse("accounts:settings")


def test_settings_need_a_login(client):
    response = client.get(settings_url())

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/accounts/profile/")


def test_settings_page_links_to_password_and_email(russian, reader):
    text = page_text(russian.get(settings_url()))

    assert 'value="Гүлнар"' in text
    assert f'href="{reverse("account_change_password")}"' in text
    assert f'href="{reverse("account_email")}"' in text
    assert 'enctype="multipart/form-data"' in text


def test_change_display_name(russian, reader):
    response = russian.post(settings_url(), {"display_name": "  Гүлнар   Ахметова "}, follow=True)

    assert "Настройки сохранены" in page_text(response)
    reader.refresh_from_db()
    assert reader.display_name == "Гүлнар Ахметова"
    assert reader.public_name == "Гүлнар Ахметова"


def test_empty_display_name_falls_back_to_the_username(russian, reader):
    russian.post(settings_url(), {"display_name": "   "})

    reader.refresh_from_db()
    assert reader.display_name == ""
    assert reader.public_name == "Гүлнар.А"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Гүлнар\u202eранлүГ", "невидимые или управляющие символы"),
        ("Гүл\x07нар", "невидимые или управляющие символы"),
        ("\u3164\u3164", "должно содержать буквы или цифры"),
        ("Ж" * 61, "не более 60"),
    ],
)
def test_bad_display_names_are_refused(russian, reader, name, message):
    response = russian.post(settings_url(), {"display_name": name})

    assert response.status_code == 200
    assert message in page_text(response)
    reader.refresh_from_db()
    assert reader.display_name == "Гүлнар"


def test_avatar_upload_is_squared_resized_and_stripped(
    russian, reader, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("my-passport-photo.jpg", jpeg_with_metadata(), "image/jpeg")

    with django_capture_on_commit_callbacks(execute=True):
        response = russian.post(settings_url(), {"display_name": "Гүлнар", "avatar": upload})

    assert response.status_code == 302
    reader.refresh_from_db()
    assert reader.avatar.name.startswith("avatars/")
    assert "passport" not in reader.avatar.name
    stored = default_storage.open(reader.avatar.name).read()
    assert b"SpyCam" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert image.size == (256, 256)
        assert not image.getexif()

    # Replacing it removes the old file; removing it removes the new one.
    first = reader.avatar.name
    png = SimpleUploadedFile("b.png", image_bytes(300, 900, "PNG"), "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        russian.post(settings_url(), {"display_name": "Гүлнар", "avatar": png})
    reader.refresh_from_db()
    assert reader.avatar.name != first
    assert not default_storage.exists(first)
    assert default_storage.exists(reader.avatar.name)

    second = reader.avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        russian.post(settings_url(), {"display_name": "Гүлнар", "remove_avatar": "on"})
    reader.refresh_from_db()
    assert not reader.avatar
    assert not default_storage.exists(second)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("a.jpg", b"not a picture at all", "image/jpeg"),
            "не является изображением",
        ),
        (SimpleUploadedFile("a.jpg", image_bytes(40, 40), "image/jpeg"), "не меньше 64×64"),
        (SimpleUploadedFile("a.bmp", image_bytes(100, 100, "BMP"), "image/bmp"), "BMP"),
        (SimpleUploadedFile("a.png", png_bomb(), "image/png"), "мегапикселей"),
        (SimpleUploadedFile("a.jpg", b"\xff" * (5 * 1024 * 1024 + 1), "image/jpeg"), "5,0\xa0МБ"),
    ],
    ids=["not-an-image", "too-small", "bmp", "decompression-bomb", "too-big"],
)
def test_bad_avatar_is_refused_and_the_typed_name_kept(russian, reader, upload, message):
    response = russian.post(settings_url(), {"display_name": "Новое имя", "avatar": upload})

    assert response.status_code == 200
    text = page_text(response)
    assert message in text
    assert 'value="Новое имя"' in text
    reader.refresh_from_db()
    assert reader.display_name == "Гүлнар"
    assert not reader.avatar


def test_settings_page_query_count(russian, reader, django_assert_num_queries):
    russian.get(settings_url())

    # Session, user; nothing else.
    with django_assert_num_queries(2):
        assert russian.get(settings_url()).status_code == 200


# Admin ------------------------------------------------------------------------------------------


def test_admin_shows_display_name_and_avatar(client):
    admin = UserFactory(username="chief", is_staff=True, is_superuser=True)
    person = UserFactory(username="Айбалта", display_name="Айбалта С.")
    client.force_login(admin)

    listing = page_text(client.get(reverse("admin:accounts_user_changelist")))
    change = page_text(client.get(reverse("admin:accounts_user_change", args=[person.pk])))

    assert "Айбалта С." in listing
    assert 'name="display_name"' in change
    assert 'name="avatar"' in change
