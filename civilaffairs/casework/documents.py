"""Checking uploaded evidence by its content, never by its name.

Allowed: PDF, JPEG, PNG, up to settings.UPLOAD_MAX_BYTES. Images are decoded and re-encoded,
which drops EXIF (GPS position, camera serial) and anything hidden after the image data. The
uploaded file name is kept only as a label, and refused outright if it tries to be a path.
"""

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

PDF_MAGIC = b"%PDF-"
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Decompression bombs: refuse images above this many pixels (a 50-megapixel photo is fine).
Image.MAX_IMAGE_PIXELS = 60_000_000


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes
    content_type: str
    name: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def clean_name(name: str) -> str:
    """The file name as a label. A name that tries to be a path is refused, not repaired:
    that is never an honest mistake."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise ValidationError(_("The file has no name."), code="upload_name")
    if "/" in name or "\\" in name or name.startswith(".") or ".." in name or "\x00" in name:
        raise ValidationError(
            _("The file name “%(name)s” is not allowed. Please rename the file.")
            % {"name": name[:60]},
            code="upload_name",
        )
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise ValidationError(
            _("The file name contains control characters. Please rename the file."),
            code="upload_name",
        )
    return re.sub(r"\s+", " ", name)[:120]


def check_upload(uploaded) -> CheckedUpload:
    """Validate an UploadedFile; return what may be stored. Raises ValidationError with a
    message the citizen can act on."""
    # The name as it was sent (lib.uploads): Django's parser has cut a path down to its last
    # part by now, and a path is to be refused, not repaired.
    name = clean_name(getattr(uploaded, "sent_name", None) or getattr(uploaded, "name", ""))
    limit = settings.UPLOAD_MAX_BYTES
    if uploaded.size is not None and uploaded.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)s). The limit is %(limit)s.")
            % {"size": filesizeformat(uploaded.size), "limit": filesizeformat(limit)},
            code="upload_size",
        )
    content = uploaded.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(
            _("The file is too large. The limit is %(limit)s.") % {"limit": filesizeformat(limit)},
            code="upload_size",
        )
    if not content:
        raise ValidationError(_("The file is empty."), code="upload_empty")
    if content.startswith(PDF_MAGIC):
        kind = "application/pdf"
        if b"%%EOF" not in content[-2048:]:
            raise ValidationError(_("This PDF file is incomplete or damaged."), code="upload_type")
    elif content.startswith(JPEG_MAGIC) or content.startswith(PNG_MAGIC):
        content, kind = _reencode_image(content)
    else:
        raise ValidationError(
            _(
                "Only PDF, JPEG and PNG files are accepted; this file is of another kind, whatever its name says."
            ),
            code="upload_type",
        )
    return CheckedUpload(
        content=content, content_type=kind, name=name, sha256=hashlib.sha256(content).hexdigest()
    )


def _reencode_image(content: bytes) -> tuple[bytes, str]:
    try:
        with Image.open(io.BytesIO(content)) as img:
            img.load()
            fmt = img.format
            if fmt not in ("JPEG", "PNG"):
                raise ValidationError(
                    _("Only PDF, JPEG and PNG files are accepted."), code="upload_type"
                )
            # Re-encode pixels only: no EXIF, no ICC comments, no trailing data.
            clean = Image.frombytes(img.mode, img.size, img.tobytes())
            if img.mode == "P":
                clean.putpalette(img.getpalette())
            out = io.BytesIO()
            if fmt == "JPEG":
                clean.convert("RGB").save(out, format="JPEG", quality=88, optimize=True)
                return out.getvalue(), "image/jpeg"
            clean.save(out, format="PNG", optimize=True)
            return out.getvalue(), "image/png"
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise ValidationError(
            _("This image file is damaged and cannot be read."), code="upload_type"
        ) from None
