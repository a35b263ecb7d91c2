"""Uploaded images: what reaches the media root, and how it is served back.

tests/test_images.py already covers covers saved through the ORM (EXIF and GPS dropped,
renditions, decompression bombs and non-images refused by the validator) and
tests/test_accounts.py avatars through the settings page. This module adds what they
leave out: uploads through the admin's own forms (cover and images in the text), EXIF
with an Orientation (the transposed branch), metadata in PNG and WebP, comments and XMP
inside a JPEG, HTML and SVG disguised as pictures, hostile file names, bombs through the
admin form, and the media files as Django serves them: an image Content-Type, nosniff and
the site's Content-Security-Policy.
"""

import importlib
import io
import os
import re
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import clear_url_caches, get_resolver
from django.views.static import serve
from PIL import Image, PngImagePlugin

from articles.models import Article

from .factories import CategoryFactory, UserFactory, editor, image_bytes
from .test_hostile_input import assert_inert

pytestmark = pytest.mark.django_db

CAMERA = b"SpyCam-Serial-0042"  # EXIF Make
XMP = b"xmp-home-at-43.25-76.95"
COMMENT = b"comment-passport-AB1234567"
PNG_TEXT = b"png-text-home-address"
SCRIPT = b"<script>alert(1)</script>"


def exif_with_gps(orientation=None):
    exif = Image.Exif()
    exif[0x010F] = CAMERA.decode()
    exif[0x8825] = {1: "N", 2: (43.0, 15.0, 0.0), 3: "E", 4: (76.0, 57.0, 0.0)}  # GPSInfo
    if orientation:
        exif[0x0112] = orientation
    return exif


def jpeg_with_everything(width=900, height=600, orientation=6, comment=True):
    """A JPEG with GPS EXIF, a camera serial, an Orientation, an XMP packet and (unless told
    otherwise) a comment segment holding a script and a passport number."""
    buffer = io.BytesIO()
    extra = {"comment": SCRIPT + b" " + COMMENT} if comment else {}
    Image.new("RGB", (width, height), (30, 120, 160)).save(
        buffer,
        "JPEG",
        exif=exif_with_gps(orientation).tobytes(),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + XMP + b"</x:xmpmeta>",
        **extra,
    )
    data = buffer.getvalue()
    assert CAMERA in data and XMP in data and (COMMENT in data) == comment
    return data


def jpeg_without_comment():
    return jpeg_with_everything(comment=False)


def png_with_metadata(width=900, height=600, transparent=True):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", (SCRIPT + b" " + PNG_TEXT).decode())
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    buffer = io.BytesIO()
    mode, color = ("RGBA", (0, 0, 0, 0)) if transparent else ("RGB", (10, 20, 30))
    Image.new(mode, (width, height), color).save(
        buffer, "PNG", pnginfo=info, exif=exif_with_gps().tobytes()
    )
    data = buffer.getvalue()
    assert CAMERA in data and XMP in data and PNG_TEXT in data
    return data


def webp_with_metadata(width=900, height=600):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 10, 10)).save(
        buffer, "WEBP", exif=exif_with_gps(3).tobytes(), xmp=XMP
    )
    data = buffer.getvalue()
    assert CAMERA in data and XMP in data
    return data


def stored(name):
    with default_storage.open(name) as file:
        return file.read()


def assert_no_exif_or_xmp(name):
    """A stored image file carries no EXIF (GPS, camera), XMP or PNG text from the upload."""
    data = stored(name)
    for secret in (CAMERA, XMP, PNG_TEXT):
        assert secret not in data, (name, secret)
    assert b"Exif\x00" not in data and b"eXIf" not in data, name
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif(), name
        assert not image.info.get("xmp"), name


def assert_no_comment(name):
    data = stored(name)
    assert COMMENT not in data and SCRIPT not in data, name


# Uploads through the admin ---------------------------------------------------------------------


@pytest.fixture
def newsroom(client):
    client.force_login(editor())
    return CategoryFactory(slug="society", name="Общество")


def article_form(category, **overrides):
    data = {
        "title": "Казахстанцы смогут выбирать акимов городов",
        "slug": "",
        "lead": "Новый закон вступит в силу в следующем году.",
        "body": "Первый абзац.",
        "cover_caption": "Фото редакции",
        "category": category.pk,
        "author": "",
        "status": "published",
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


def all_files(article):
    names = [article.cover.name] + [
        item[i] for item in article.cover_renditions["items"] for i in (2, 3)
    ]
    for image in article.images.all():
        names.append(image.image.name)
        names += [item[i] for item in image.renditions["items"] for i in (2, 3)]
    return names


@pytest.mark.parametrize(
    ("cover", "inline"),
    [
        (("rotated.jpg", jpeg_without_comment), ("transparent.png", png_with_metadata)),
        (("photo.webp", webp_with_metadata), ("rotated.jpg", jpeg_without_comment)),
        (
            ("flat.png", lambda: png_with_metadata(transparent=False)),
            ("photo.webp", webp_with_metadata),
        ),
    ],
    ids=["jpeg-cover-png-inline", "webp-cover-jpeg-inline", "png-cover-webp-inline"],
)
def test_admin_uploads_are_reencoded_without_exif_gps_or_xmp(client, newsroom, cover, inline):
    data = article_form(
        newsroom,
        cover=SimpleUploadedFile(cover[0], cover[1](), "image/jpeg"),
        **{"images-0-image": SimpleUploadedFile(inline[0], inline[1](), "image/png")},
    )

    response = client.post("/admin/articles/article/add/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get()
    assert article.images.count() == 1
    for name in all_files(article):
        assert_no_exif_or_xmp(name)


def test_a_jpeg_comment_is_not_kept_in_covers_images_or_renditions(client, newsroom):
    data = article_form(
        newsroom,
        cover=SimpleUploadedFile("cover.jpg", jpeg_with_everything(), "image/jpeg"),
        **{"images-0-image": SimpleUploadedFile("in.jpg", jpeg_with_everything(), "image/jpeg")},
    )
    assert client.post("/admin/articles/article/add/", data).status_code == 302

    names = all_files(Article.objects.get())
    for name in names:
        assert_no_exif_or_xmp(name)
    for name in names:
        assert_no_comment(name)


def test_a_jpeg_comment_is_not_kept_in_avatars(client, django_capture_on_commit_callbacks):
    reader = UserFactory(username="Читатель")
    client.force_login(reader)
    upload = SimpleUploadedFile("me.jpg", jpeg_with_everything(400, 400), "image/jpeg")

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/accounts/profile/", {"avatar": upload}).status_code == 302

    reader.refresh_from_db()
    assert_no_exif_or_xmp(reader.avatar.name)
    assert_no_comment(reader.avatar.name)


def test_the_orientation_is_applied_not_kept(client, newsroom):
    # Orientation 6: the camera was turned; the stored picture is upright, with no tag left.
    data = article_form(
        newsroom,
        cover=SimpleUploadedFile("turned.jpg", jpeg_with_everything(900, 600), "image/jpeg"),
    )
    assert client.post("/admin/articles/article/add/", data).status_code == 302
    article = Article.objects.get()
    with default_storage.open(article.cover.name) as stored, Image.open(stored) as image:
        assert image.size == (600, 900)


HOSTILE_NAMES = [
    '"><img src=x onerror=alert(1)>.jpg',
    "../../../../etc/passwd.jpg",
    "..\\..\\settings.py.jpg",
    "photo.jpg\x00.html",
    "имя файла с пробелами и «кавычками».jpg",
    "x" * 300 + ".jpg",
]


@pytest.mark.parametrize("filename", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_hostile_file_names_stay_inside_the_media_root(client, newsroom, settings, filename):
    upload = SimpleUploadedFile(filename, image_bytes(900, 600), "image/jpeg")

    response = client.post("/admin/articles/article/add/", article_form(newsroom, cover=upload))

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert response.context["adminform"].form.errors
        return
    article = Article.objects.get()
    for name in all_files(article):
        assert re.fullmatch(r"[\w./-]+", name), name
        assert ".." not in name.split("/")
        path = default_storage.path(name)
        assert path.startswith(str(settings.MEDIA_ROOT) + "/")
        assert name.endswith((".jpg", ".png", ".webp"))
    assert_inert(client.get(article.get_absolute_url()).content, "the article page")


def png_bomb(width=30_000, height=30_000):
    """A PNG whose header claims width×height pixels, in a few hundred bytes."""

    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def svg_with_script():
    return (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="900" height="600">'
        b"<script>alert(document.cookie)</script><rect width='900' height='600'/></svg>"
    )


def html_page():
    return b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def jpeg_then_html():
    """A real JPEG with an HTML page glued after its end: a polyglot."""
    return image_bytes(900, 600) + html_page()


DISGUISED = {
    "svg-as-jpg": ("photo.jpg", svg_with_script, "image/jpeg"),
    "svg": ("drawing.svg", svg_with_script, "image/svg+xml"),
    "html-as-jpg": ("photo.jpg", html_page, "image/jpeg"),
    "html-as-png": ("photo.png", html_page, "image/png"),
    "html-with-jpeg-magic": ("photo.jpg", lambda: b"\xff\xd8\xff\xe0" + html_page(), "image/jpeg"),
}


@pytest.mark.parametrize("kind", DISGUISED)
def test_html_and_svg_disguised_as_pictures_are_refused(client, newsroom, settings, kind):
    name, content, content_type = DISGUISED[kind]
    reader = UserFactory(username="Читатель")

    cover = client.post(
        "/admin/articles/article/add/",
        article_form(newsroom, cover=SimpleUploadedFile(name, content(), content_type)),
    )
    inline = client.post(
        "/admin/articles/article/add/",
        article_form(
            newsroom,
            **{"images-0-image": SimpleUploadedFile(name, content(), content_type)},
        ),
    )
    client.force_login(reader)
    avatar = client.post(
        "/accounts/profile/",
        {"display_name": "", "avatar": SimpleUploadedFile(name, content(), content_type)},
    )

    for response in (cover, inline):
        assert response.status_code == 200
        form = response.context["adminform"].form
        formset_errors = [
            e for inline in response.context["inline_admin_formsets"] for e in inline.formset.errors
        ]
        assert form.errors.get("cover") or any(e.get("image") for e in formset_errors)
    assert avatar.status_code == 200
    assert avatar.context["form"].errors["avatar"]
    assert not Article.objects.exists()
    reader.refresh_from_db()
    assert not reader.avatar
    assert not any(files for _root, _dirs, files in os.walk(settings.MEDIA_ROOT))


def test_a_picture_with_html_glued_on_is_stored_without_it(client, newsroom):
    data = article_form(
        newsroom, cover=SimpleUploadedFile("polyglot.jpg", jpeg_then_html(), "image/jpeg")
    )
    assert client.post("/admin/articles/article/add/", data).status_code == 302
    for name in all_files(Article.objects.get()):
        with default_storage.open(name) as stored:
            assert b"<script" not in stored.read()


def test_a_decompression_bomb_through_the_admin_is_refused_quickly(client, newsroom):
    # 30000×30000 pixels claimed by a PNG of a few hundred bytes.
    bomb = SimpleUploadedFile("bomb.png", png_bomb(), "image/png")
    response = client.post("/admin/articles/article/add/", article_form(newsroom, cover=bomb))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["cover"]
    assert not Article.objects.exists()


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_bomb_just_over_the_limit_is_refused_too(client, newsroom):
    # Pillow only warns between MAX_IMAGE_PIXELS and twice that; the check must not rely
    # on the exception alone. 8000×8000 = 64 megapixels (the limit is 50).
    bomb = SimpleUploadedFile("bomb.png", png_bomb(8000, 8000), "image/png")
    response = client.post("/admin/articles/article/add/", article_form(newsroom, cover=bomb))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["cover"]


# Serving the media root ----------------------------------------------------------------------


@pytest.fixture
def served_media(settings, monkeypatch):
    """The site's own media URL (newsportal/urls.py, SERVE_MEDIA=True), reading the test's
    MEDIA_ROOT."""
    settings.SERVE_MEDIA = True
    reloaded = False

    def media_pattern():
        return next(
            (p for p in get_resolver().url_patterns if getattr(p, "callback", None) is serve),
            None,
        )

    if media_pattern() is None:
        # The URLconf was loaded with SERVE_MEDIA off: load it again with it on.
        import newsportal.urls

        importlib.reload(newsportal.urls)
        clear_url_caches()
        reloaded = True
    pattern = media_pattern()
    assert pattern is not None, "SERVE_MEDIA=True does not add the media URL"
    monkeypatch.setitem(pattern.default_args, "document_root", settings.MEDIA_ROOT)
    yield
    if reloaded:
        settings.SERVE_MEDIA = False
        import newsportal.urls

        importlib.reload(newsportal.urls)
        clear_url_caches()


def assert_served_as_image(client, url, content_type):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == content_type, url
    assert response["X-Content-Type-Options"] == "nosniff"
    # Even a file that slipped through could run nothing: the site's policy applies here too.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    body = b"".join(response.streaming_content)
    with Image.open(io.BytesIO(body)) as image:
        assert f"image/{image.format.lower()}" == content_type


def test_covers_and_renditions_are_served_as_images(client, newsroom, served_media):
    data = article_form(
        newsroom, cover=SimpleUploadedFile("cover.jpg", jpeg_without_comment(), "image/jpeg")
    )
    assert client.post("/admin/articles/article/add/", data).status_code == 302
    article = Article.objects.get()

    assert_served_as_image(client, article.cover.url, "image/jpeg")
    for rendition in article.cover_picture.renditions:
        assert_served_as_image(client, default_storage.url(rendition.webp), "image/webp")
        assert_served_as_image(client, default_storage.url(rendition.jpeg), "image/jpeg")
    # The article page points at those same files.
    page = client.get(article.get_absolute_url()).content.decode()
    assert default_storage.url(article.cover_picture.renditions[0].webp) in page


def test_avatars_are_served_as_images(client, served_media, django_capture_on_commit_callbacks):
    reader = UserFactory(username="Читатель")
    client.force_login(reader)
    upload = SimpleUploadedFile("me.png", png_with_metadata(400, 400), "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/accounts/profile/", {"avatar": upload}).status_code == 302
    reader.refresh_from_db()

    assert_no_exif_or_xmp(reader.avatar.name)
    assert_served_as_image(client, reader.avatar.url, "image/jpeg")


def test_media_paths_cannot_leave_the_media_root(client, served_media, settings):
    (settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    for path in ("/media/../manage.py", "/media/%2e%2e/manage.py", "/media/..%2fmanage.py"):
        assert client.get(path).status_code in (400, 404), path
