"""Uploaded images: validation, re-encoding and responsive renditions.

Every upload is decoded and written again by pillow, which drops metadata such as GPS
positions and refuses files that only pretend to be images. Renditions are made once, on
save, in several widths as WebP with a JPEG fallback, so a phone never downloads the
original.
"""

import hashlib
import io
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}
MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MIN_WIDTH, MIN_HEIGHT = 320, 180
MAX_SIDE = 10_000
MAX_PIXELS = 50_000_000
RENDITION_WIDTHS = (480, 800, 1200, 1600)
WEBP_QUALITY = 80
JPEG_QUALITY = 82

# Pillow refuses anything larger outright, before decoding a single pixel.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def validate_image_upload(upload):
    """Refuse files that are too big, not an allowed format, or of unusable dimensions."""
    if upload is None:
        return
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is %(size)s; images may be at most %(limit)s."),
            code="file_too_large",
            params={"size": filesizeformat(size), "limit": filesizeformat(MAX_UPLOAD_BYTES)},
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            _("The image is too large: at most %(pixels)s megapixels are accepted."),
            code="too_many_pixels",
            params={"pixels": MAX_PIXELS // 1_000_000},
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("The file is not an image or is damaged. Upload a JPEG, PNG, WebP or GIF file."),
            code="invalid_image",
        ) from None
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_FORMATS:
        raise ValidationError(
            _(
                "Images in %(format)s format are not accepted. "
                "Upload a JPEG, PNG, WebP or GIF file."
            ),
            code="invalid_format",
            params={"format": image_format or "?"},
        )
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise ValidationError(
            _(
                "The image is %(width)s×%(height)s pixels; "
                "it must be at least %(min_width)s×%(min_height)s."
            ),
            code="too_small",
            params={
                "width": width,
                "height": height,
                "min_width": MIN_WIDTH,
                "min_height": MIN_HEIGHT,
            },
        )
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ValidationError(
            _(
                "The image is %(width)s×%(height)s pixels; at most %(max)s pixels a side "
                "and %(pixels)s megapixels are accepted."
            ),
            code="too_large",
            params={
                "width": width,
                "height": height,
                "max": MAX_SIDE,
                "pixels": MAX_PIXELS // 1_000_000,
            },
        )


def _open_upright(source):
    source.seek(0)
    image = Image.open(source)
    image.load()
    image = ImageOps.exif_transpose(image)
    # Pillow writes some metadata it read (a JPEG comment, for one) back by default; only
    # the palette's transparency is part of the picture.
    image.info = {k: v for k, v in image.info.items() if k == "transparency"}
    return image


def _has_alpha(image):
    return image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)


def reencode_upload(upload):
    """The upload decoded and written again without metadata, as JPEG (or PNG if transparent)."""
    image = _open_upright(upload)
    buffer = io.BytesIO()
    stem = PurePosixPath(upload.name or "image").stem[:60] or "image"
    if _has_alpha(image):
        image.convert("RGBA").save(buffer, "PNG", optimize=True)
        name = f"{stem}.png"
    else:
        image.convert("RGB").save(buffer, "JPEG", quality=90, optimize=True, progressive=True)
        name = f"{stem}.jpg"
    return ContentFile(buffer.getvalue(), name=name)


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    webp: str
    jpeg: str


@dataclass(frozen=True)
class Picture:
    """What a template needs to draw an image: renditions, intrinsic size, text."""

    renditions: tuple
    width: int
    height: int
    alt: str = ""
    caption: str = ""

    @property
    def fallback_url(self):
        middle = self.renditions[min(1, len(self.renditions) - 1)]
        return default_storage.url(middle.jpeg)

    @property
    def largest_url(self):
        return default_storage.url(self.renditions[-1].jpeg)

    @property
    def webp_srcset(self):
        return ", ".join(f"{default_storage.url(r.webp)} {r.width}w" for r in self.renditions)

    @property
    def jpeg_srcset(self):
        return ", ".join(f"{default_storage.url(r.jpeg)} {r.width}w" for r in self.renditions)


def make_renditions(stored_name):
    """Write the renditions of a stored image; returns the data to keep beside it."""
    with default_storage.open(stored_name, "rb") as stored:
        image = _open_upright(io.BytesIO(stored.read()))
    if _has_alpha(image):
        # Flatten onto white: the renditions are photographs for the page, not cut-outs.
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").split()[-1])
        image = background
    else:
        image = image.convert("RGB")
    width, height = image.size
    widths = [w for w in RENDITION_WIDTHS if w < width] or [width]
    if width < RENDITION_WIDTHS[-1] and widths[-1] != width:
        widths.append(width)
    digest = hashlib.sha1(stored_name.encode()).hexdigest()[:10]
    folder = f"renditions/{PurePosixPath(stored_name).stem[:40]}-{digest}"
    items = []
    for target in widths:
        target_height = max(1, round(height * target / width))
        resized = image if target == width else image.resize((target, target_height), Image.LANCZOS)
        names = []
        for fmt, ext, options in (
            ("WEBP", "webp", {"quality": WEBP_QUALITY, "method": 4}),
            ("JPEG", "jpg", {"quality": JPEG_QUALITY, "optimize": True, "progressive": True}),
        ):
            buffer = io.BytesIO()
            resized.save(buffer, fmt, **options)
            name = f"{folder}/{target}.{ext}"
            if default_storage.exists(name):
                default_storage.delete(name)
            names.append(default_storage.save(name, ContentFile(buffer.getvalue())))
        items.append([target, target_height, names[0], names[1]])
    return {"source": stored_name, "width": width, "height": height, "items": items}


def delete_renditions(data):
    for _width, _height, webp, jpeg in (data or {}).get("items", []):
        for name in (webp, jpeg):
            if default_storage.exists(name):
                default_storage.delete(name)


def picture_from(data, alt="", caption=""):
    if not data or not data.get("items"):
        return None
    return Picture(
        renditions=tuple(Rendition(*item) for item in data["items"]),
        width=data["width"],
        height=data["height"],
        alt=alt,
        caption=caption,
    )


class RenditionsMixin:
    """For a model with an image field and a JSON field that keeps its renditions.

    Call `prepare_image()` before saving and `refresh_renditions()` after: the first
    re-encodes a fresh upload, the second makes renditions when the image changed.
    """

    image_field_name = "image"
    renditions_field_name = "renditions"

    def prepare_image(self):
        field_file = getattr(self, self.image_field_name)
        if field_file and not field_file._committed:
            clean = reencode_upload(field_file.file)
            field_file.save(clean.name, clean, save=False)

    def refresh_renditions(self):
        """Make renditions if the image changed; True when the stored data changed."""
        field_file = getattr(self, self.image_field_name)
        current = getattr(self, self.renditions_field_name) or {}
        if not field_file:
            if current:
                delete_renditions(current)
                setattr(self, self.renditions_field_name, {})
                return True
            return False
        if current.get("source") == field_file.name:
            return False
        delete_renditions(current)
        setattr(self, self.renditions_field_name, make_renditions(field_file.name))
        return True
