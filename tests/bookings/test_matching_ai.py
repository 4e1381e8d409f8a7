"""Trainer matching with embeddings: the real `openai` SDK against the local
OpenAI-compatible stand-in (devtools.openai_standin), and the weighted fallback when the
endpoint is off, down, failing, slow or over the gym's daily cap."""

import json
import socket
import urllib.error
import urllib.request
import uuid

import pytest
from django.core.cache import cache
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.bookings.models import TrainerProfile
from apps.common import ai
from devtools.openai_standin import OpenAIStandin
from tests.factories import MemberWithLoginFactory, UserFactory

MATCH = "/api/v1/trainers/match/"
GOALS = {"goals": ["run my first marathon", "endurance running"]}


@pytest.fixture(scope="session")
def standin():
    server = OpenAIStandin()
    server.url = server.start()
    yield server
    server.stop()


@pytest.fixture
def ai_on(settings, standin, gym_a, gym_b):
    """Embeddings through the stand-in. A fresh model name per test keeps earlier tests'
    cached vectors out (the model is part of the cache key); the call counters restart."""
    settings.OPENAI_API_KEY = "sk-test-standin"
    settings.OPENAI_BASE_URL = standin.url
    settings.OPENAI_EMBEDDING_MODEL = f"standin-embed-{uuid.uuid4().hex[:8]}"
    settings.OPENAI_TIMEOUT_SECONDS = 2.0
    settings.OPENAI_DAILY_CALLS_PER_GYM = 100
    standin.mode = "ok"
    standin.requests.clear()
    for gym in (gym_a, gym_b):
        with tenant_context(gym):
            cache.delete(ai.calls_key(gym.schema_name))
    yield standin
    standin.mode = "ok"


def _trainers():
    """Two trainers no keyword can tell apart for GOALS (no specialty matches); Zoe's bio
    is about running. By the weighted score they tie and Ana comes first by name."""
    for name, bio in (
        ("Ana", "Powerlifting coach: heavy barbell strength, squats and deadlifts."),
        ("Zoe", "I prepare runners for their first marathon: endurance running plans."),
    ):
        user = UserFactory(role=Role.TRAINER, email=f"{name.lower()}-{uuid.uuid4().hex[:6]}@x.test")
        TrainerProfile.objects.create(user=user, display_name=name, bio=bio, hourly_price=4000)


@pytest.fixture
def member_a(gym_a):
    with tenant_context(gym_a):
        _trainers()
        return MemberWithLoginFactory(tier="pro")


@pytest.fixture
def member_b(gym_b):
    with tenant_context(gym_b):
        _trainers()
        return MemberWithLoginFactory(tier="pro")


def _match(api, gym, member, body=GOALS):
    response = api(gym, member.user).post(MATCH, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _names(result):
    return [r["trainer"]["display_name"] for r in result["results"]]


def test_embeddings_rank_the_trainer_whose_bio_fits_and_say_so(
    gym_a, api, member_a, ai_on, settings
):
    settings.OPENAI_API_KEY = ""
    weighted = _match(api, gym_a, member_a)
    assert weighted["method"] == "weighted"
    assert _names(weighted) == ["Ana", "Zoe"]
    assert not any("similar" in r for t in weighted["results"] for r in t["reasons"])

    settings.OPENAI_API_KEY = "sk-test-standin"
    result = _match(api, gym_a, member_a)
    assert result["method"] == "embedding"
    assert _names(result) == ["Zoe", "Ana"]
    zoe, ana = result["results"]
    assert zoe["parts"]["goals"] > ana["parts"]["goals"] >= 0
    # Only the goal part moves: 0.35 x (0.5 keywords + 0.5 similarity), keywords at 0 here.
    for part in ("language", "availability", "price", "rating"):
        assert zoe["parts"][part] == weighted["results"][1]["parts"][part]
    assert any("similar in meaning" in r for r in zoe["reasons"])
    # One call: the goals' text and both trainers' texts, with the configured model.
    assert len(ai_on.requests) == 1
    sent = ai_on.requests[0]
    assert sent["model"] == settings.OPENAI_EMBEDDING_MODEL
    assert sent["input"][0] == "run my first marathon, endurance running"
    assert len(sent["input"]) == 3


@pytest.mark.parametrize("failure", ["down", "error", "slow"])
def test_endpoint_down_failing_or_slow_falls_back_to_the_weighted_score(
    gym_a, api, member_a, ai_on, settings, failure
):
    settings.OPENAI_API_KEY = ""
    weighted = _match(api, gym_a, member_a)
    settings.OPENAI_API_KEY = "sk-test-standin"
    if failure == "down":
        with socket.socket() as sock:  # a port nobody listens on
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        settings.OPENAI_BASE_URL = f"http://127.0.0.1:{port}/v1"
    elif failure == "error":
        ai_on.mode = "error"
    else:
        ai_on.mode, ai_on.delay = "slow", 2.0
        settings.OPENAI_TIMEOUT_SECONDS = 0.5
    result = _match(api, gym_a, member_a)
    assert result == weighted  # same schema, same figures, says "weighted"
    assert result["method"] == "weighted"
    assert len(ai_on.requests) == (0 if failure == "down" else 1)  # no retries


def test_identical_texts_come_from_the_cache(gym_a, api, member_a, ai_on):
    first = _match(api, gym_a, member_a)
    second = _match(api, gym_a, member_a)
    assert first["method"] == second["method"] == "embedding"
    assert first == second
    assert len(ai_on.requests) == 1
    # A new goal text costs one call carrying only that text (the bios are cached).
    third = _match(api, gym_a, member_a, {"goals": ["marathon"]})
    assert third["method"] == "embedding"
    assert [r["input"] for r in ai_on.requests[1:]] == [["marathon"]]


def test_daily_cap_falls_back_but_cached_texts_still_work(gym_a, api, member_a, ai_on, settings):
    settings.OPENAI_DAILY_CALLS_PER_GYM = 1
    assert _match(api, gym_a, member_a)["method"] == "embedding"
    capped = _match(api, gym_a, member_a, {"goals": ["marathon"]})
    assert capped["method"] == "weighted"
    assert len(ai_on.requests) == 1  # the capped request never left
    assert _match(api, gym_a, member_a)["method"] == "embedding"  # cache hits are free
    assert len(ai_on.requests) == 1


def test_one_gyms_cache_and_cap_do_not_serve_another(
    gym_a, gym_b, api, member_a, member_b, ai_on, settings
):
    settings.OPENAI_DAILY_CALLS_PER_GYM = 1
    assert _match(api, gym_a, member_a)["method"] == "embedding"
    assert len(ai_on.requests) == 1
    # Same texts in gym B: not served from gym A's entries, and A's spent cap is not B's.
    result_b = _match(api, gym_b, member_b)
    assert result_b["method"] == "embedding"
    assert _names(result_b) == ["Zoe", "Ana"]
    assert len(ai_on.requests) == 2
    assert ai_on.requests[0]["input"] == ai_on.requests[1]["input"]
    with tenant_context(gym_a):
        a_keys = [
            ai._text_key(gym_a.schema_name, settings.OPENAI_EMBEDDING_MODEL, t)  # noqa: SLF001 - its keys
            for t in ai_on.requests[0]["input"]
        ]
        assert len(cache.get_many(a_keys)) == 3
    with tenant_context(gym_b):
        assert cache.get_many(a_keys) == {}


def test_embed_without_key_or_text_makes_no_call(gym_a, ai_on, settings):
    with tenant_context(gym_a):
        assert ai.embed([""]) is None
        assert ai.embed([]) is None
        settings.OPENAI_API_KEY = ""
        assert ai.embed(["hello"]) is None
    assert ai_on.requests == []


def _post(url, body, headers):
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_standin_speaks_openais_shapes_and_errors(standin):
    standin.mode = "ok"
    url = standin.url + "/embeddings"
    auth = {"Authorization": "Bearer sk-x", "Content-Type": "application/json"}
    status, body = _post(url, json.dumps({"model": "m", "input": ["a b", "c"]}).encode(), auth)
    assert status == 200
    assert body["object"] == "list" and body["model"] == "m"
    assert [(d["object"], d["index"]) for d in body["data"]] == [("embedding", 0), ("embedding", 1)]
    assert set(body["usage"]) == {"prompt_tokens", "total_tokens"}
    status, body = _post(url, json.dumps({"model": "m", "input": "a"}).encode(), {})
    assert status == 401 and "API key" in body["error"]["message"]
    status, body = _post(url, json.dumps({"model": "m"}).encode(), auth)
    assert status == 400 and body["error"]["param"] == "input"
    status, body = _post(url, json.dumps({"input": "a"}).encode(), auth)
    assert status == 400 and body["error"]["param"] == "model"
    status, body = _post(url, b"{not json", auth)
    assert status == 400 and body["error"]["type"] == "invalid_request_error"
