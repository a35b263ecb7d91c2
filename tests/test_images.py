import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from articles.images import validate_image_upload
from tests.factories import ArticleFactory, image_bytes

pytestmark = pytest.mark.django_db


def jpeg_with_gps():
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (43.0, 15.0, 0.0), 3: "E", 4: (76.0, 57.0, 0.0)}  # GPSInfo
    exif[0x010F] = "PhoneMaker"
    return image_bytes(1200, 800, exif=exif.tobytes())


def test_upload_is_reencoded_without_metadata():
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif()  # the test file does carry EXIF

    article = ArticleFactory(cover=ContentFile(original, name="with-gps.jpg"))

    with default_storage.open(article.cover.name) as stored:
        image = Image.open(stored)
        assert not image.getexif()
        assert image.format == "JPEG"
    for item in article.cover_renditions["items"]:
        with default_storage.open(item[3]) as rendition:
            assert not Image.open(rendition).getexif()


def test_renditions_in_webp_and_jpeg_never_wider_than_the_original():
    article = ArticleFactory(cover=ContentFile(image_bytes(1000, 500), name="wide.jpg"))
    picture = article.cover_picture
    assert [r.width for r in picture.renditions] == [480, 800, 1000]
    assert [r.height for r in picture.renditions] == [240, 400, 500]
    for rendition in picture.renditions:
        with default_storage.open(rendition.webp) as webp:
            assert Image.open(webp).format == "WEBP"
        with default_storage.open(rendition.jpeg) as jpeg:
            assert Image.open(jpeg).size == (rendition.width, rendition.height)


def test_transparent_png_stays_png_and_renditions_are_flattened():
    article = ArticleFactory(
        cover=ContentFile(image_bytes(800, 400, "PNG", (0, 0, 0, 0)), name="logo.png")
    )
    assert article.cover.name.endswith(".png")
    with default_storage.open(article.cover_picture.renditions[0].jpeg) as jpeg:
        assert Image.open(jpeg).getpixel((10, 10)) == (255, 255, 255)


def test_replacing_the_cover_replaces_its_renditions():
    article = ArticleFactory(cover=ContentFile(image_bytes(900, 600), name="first.jpg"))
    old_names = [item[2] for item in article.cover_renditions["items"]]
    article.cover = ContentFile(image_bytes(1300, 700), name="second.jpg")
    article.save()
    article.refresh_from_db()
    assert article.cover_renditions["source"] == article.cover.name
    assert not any(default_storage.exists(name) for name in old_names)


def test_decompression_bomb_is_refused_before_decoding():
    # A tiny PNG file that claims 20000×20000 pixels.
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, "PNG")
    assert buffer.tell() < 200_000
    upload = SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png")
    with pytest.raises(ValidationError) as error:
        validate_image_upload(upload)
    assert error.value.code in {"too_many_pixels", "too_large"}


def test_files_that_are_not_images_are_refused():
    upload = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    with pytest.raises(ValidationError) as error:
        validate_image_upload(upload)
    assert error.value.code == "invalid_image"


def test_disallowed_formats_are_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600)).save(buffer, "BMP")
    upload = SimpleUploadedFile("picture.bmp", buffer.getvalue(), content_type="image/bmp")
    with pytest.raises(ValidationError) as error:
        validate_image_upload(upload)
    assert error.value.code == "invalid_format"
