"""Avatars: validate an upload, then store a 256×256 square re-encoded by pillow.

Follows the pattern of articles.images: the file is opened by pillow (a file that only
pretends to be an image is refused), its dimensions are checked before any pixel is
decoded (so a decompression bomb costs nothing), and what is stored is written anew, which
drops EXIF data such as GPS positions and the camera's serial number.
"""

import io
import uuid
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
ACCEPT = "image/jpeg,image/png,image/webp,image/gif"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MIN_SIDE = 64
MAX_SIDE = 10_000
MAX_PIXELS = 40_000_000
SIZE = 256
JPEG_QUALITY = 85

NOT_AN_IMAGE = _("The file is not an image or is damaged. Upload a JPEG, PNG, WebP or GIF picture.")


def _open(upload):
    """The upload opened by pillow with only its header read; refuses bombs."""
    upload.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return Image.open(upload)


def _too_many_pixels():
    return ValidationError(
        _("The picture is too large: at most %(pixels)s megapixels are accepted."),
        code="too_many_pixels",
        params={"pixels": MAX_PIXELS // 1_000_000},
    )


def validate_avatar(upload):
    """Refuse a file that is too big, not a picture in an allowed format, or too small."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is %(size)s; an avatar may be at most %(limit)s."),
            code="file_too_large",
            params={"size": filesizeformat(size), "limit": filesizeformat(MAX_UPLOAD_BYTES)},
        )
    try:
        with _open(upload) as image:
            image_format = image.format
            width, height = image.size
            if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                raise _too_many_pixels()
            image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(NOT_AN_IMAGE, code="invalid_image") from None
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_FORMATS:
        raise ValidationError(
            _("Pictures in %(format)s format are not accepted. Upload a JPEG, PNG, WebP or GIF."),
            code="invalid_format",
            params={"format": image_format or "?"},
        )
    if width < MIN_SIDE or height < MIN_SIDE:
        raise ValidationError(
            _(
                "The picture is %(width)s×%(height)s pixels; an avatar must be at least "
                "%(min)s×%(min)s."
            ),
            code="too_small",
            params={"width": width, "height": height, "min": MIN_SIDE},
        )


def make_avatar(upload):
    """A validated upload as a SIZE×SIZE JPEG: upright, cropped to its centre, no metadata."""
    try:
        with _open(upload) as image:
            image.seek(0)  # the first frame of an animation
            image.load()
            image = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(NOT_AN_IMAGE, code="invalid_image") from None
    finally:
        upload.seek(0)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # JPEG has no transparency: flatten onto the white of the page.
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    else:
        image = image.convert("RGB")
    square = ImageOps.fit(image, (SIZE, SIZE), Image.LANCZOS, centering=(0.5, 0.5))
    square.info.clear()  # Pillow would write a JPEG comment it read back out
    buffer = io.BytesIO()
    # No exif= argument: nothing of the original's metadata is written.
    square.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    # A fresh random name: the original's name may say more than its owner meant to.
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex[:16]}.jpg")


def delete_file_later(storage, name):
    """Remove a replaced avatar once the change is committed (never one still in use)."""
    if name:
        transaction.on_commit(lambda: storage.delete(name))
