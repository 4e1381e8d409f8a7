"""Uploads on local disk (development, tests, self-hosting without a bucket), with links
that behave like the signed, expiring URLs of object storage in production.

`make run` served /media/ with django.views.static: any gym's files, from any gym's host,
without signing in (a demo gym's assessment clip fetched from a rival gym's host). Now a
link carries a signature made for that file in that schema, and `media_file` serves it
only on a host of the same schema, before the signature expires
(`apps.common.views.media_file`).
"""

from __future__ import annotations

from urllib.parse import quote

from django.core import signing
from django.core.files.storage import FileSystemStorage
from django.db import connection

# As django-storages' S3 links (querystring_expire: one hour).
MEDIA_URL_MAX_AGE = 60 * 60


def _signer(schema: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"media.{schema}")


def _readable_here(name: str, schema: str) -> bool:
    """A file of this schema (`<schema>/...`), or this gym's public files (its logo)."""
    if schema == "public":
        return name.startswith("public/")
    return name.startswith((f"{schema}/", f"public/gyms/{schema}/"))


class SignedFileSystemStorage(FileSystemStorage):
    def url(self, name):
        signed = _signer(connection.schema_name).sign(name)
        return f"{super().url(name)}?sig={quote(signed[len(name) + 1 :])}"


def media_link_valid(name: str, sig: str) -> bool:
    """Whether `sig` (from a link made by SignedFileSystemStorage.url) lets this host's
    schema read `name` now."""
    schema = connection.schema_name
    if not _readable_here(name, schema):
        return False
    try:
        _signer(schema).unsign(f"{name}:{sig}", max_age=MEDIA_URL_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one
        return False
    return True
