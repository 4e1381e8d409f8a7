"""Uploads on local disk are served like object storage serves them: for a signed link,
before it expires, and only on the owning gym's host (a demo gym's clip was readable from
a rival gym's host without signing in)."""

import time

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django_tenants.utils import tenant_context

from apps.common.storage import MEDIA_URL_MAX_AGE


@pytest.fixture
def clip_of_gym_a(gym_a):
    with tenant_context(gym_a):
        name = default_storage.save(
            f"{connection.schema_name}/assessments/1/clip.mp4", ContentFile(b"gym-a-clip")
        )
        url = default_storage.url(name)
    yield name, url
    default_storage.delete(name)


def test_a_signed_link_is_served_on_its_gyms_host(clip_of_gym_a, gym_a, web):
    _name, url = clip_of_gym_a
    response = web(gym_a).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"gym-a-clip"


def test_the_same_link_is_not_found_on_another_gyms_host(clip_of_gym_a, gym_b, web):
    _name, url = clip_of_gym_a
    assert web(gym_b).get(url).status_code == 404


def test_a_link_signed_on_another_gym_does_not_open_gym_as_file(clip_of_gym_a, gym_b, web):
    name, _url = clip_of_gym_a
    with tenant_context(gym_b):
        forged = default_storage.url(name)  # gym B's signature for gym A's path
    assert web(gym_b).get(forged).status_code == 404


@pytest.mark.parametrize("tamper", ["nosig", "badsig", "otherfile", "traversal"])
def test_unsigned_or_altered_links_are_not_found(clip_of_gym_a, gym_a, web, tamper):
    name, url = clip_of_gym_a
    path, _, query = url.partition("?")
    bad = {
        "nosig": path,
        "badsig": f"{path}?sig=AAAA:BBBB",
        "otherfile": url.replace("clip.mp4", "other.mp4"),
        "traversal": f"/media/{name.split('/')[0]}/../gym_b/x?{query}",
    }[tamper]
    assert web(gym_a).get(bad).status_code == 404


def test_a_link_expires_like_an_object_storage_link(gym_a, web, monkeypatch):
    with tenant_context(gym_a):
        name = default_storage.save(f"{connection.schema_name}/x/old.txt", ContentFile(b"old"))
        fresh = default_storage.url(name)
        # A link made an hour and a bit ago.
        then = int(time.time()) - MEDIA_URL_MAX_AGE - 5
        monkeypatch.setattr(
            signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(then)
        )
        stale = default_storage.url(name)
    try:
        assert web(gym_a).get(fresh).status_code == 200
        assert web(gym_a).get(stale).status_code == 404
    finally:
        default_storage.delete(name)
