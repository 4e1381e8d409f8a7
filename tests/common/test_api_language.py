"""The API speaks the app's language (Accept-Language) and answers unknown paths with its
JSON error shape, in all four languages."""

import pytest
from django.test import override_settings
from django_tenants.utils import tenant_context

from tests.factories import MemberWithLoginFactory

NOT_FOUND = {
    "en": "Not found.",
    "es": "No encontrado.",
    "fr": "Introuvable.",
    "de": "Nicht gefunden.",
}


@pytest.mark.parametrize("language", ["en", "es", "fr", "de"])
@pytest.mark.parametrize("debug", [False, True])
def test_unknown_api_path_is_a_json_404_in_the_apps_language(gym_a, api, language, debug):
    with override_settings(DEBUG=debug):
        response = api(gym_a).get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["message"] == NOT_FOUND[language]


@pytest.mark.parametrize("language", ["es", "fr", "de"])
def test_validation_errors_follow_accept_language(gym_a, api, language):
    with tenant_context(gym_a):
        member = MemberWithLoginFactory()
    response = api(gym_a, member.user).patch(
        "/api/v1/me/", {"language": "xx"}, format="json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert "language" in details
    assert "is not a valid choice" not in str(details)  # English would say so
