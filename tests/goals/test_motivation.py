"""Motivation messages: the real `openai` SDK against the local stand-in in every mode
(ok, error, slow -> timeout, refusal, invalid JSON, long, wrong language, medical), the
library fallback with its reason, the cache, the daily budget in calls and in tokens,
the situation rules, never repeating the last 5, one row per check-in, the queueing."""

import json
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.goals import tasks
from apps.goals.dates import local_today
from apps.goals.models import (
    AIUsage,
    CheckIn,
    CheckInStatus,
    GoalSettings,
    Motivation,
    Situation,
    Streak,
)
from apps.goals.services import motivation as service
from apps.goals.services.motivation_guardrails import rejection
from apps.notifications.models import Notification
from config.devstack import Stack, openai_env
from devtools.openai_standin import OpenAIStandin
from tests.factories import MemberWithLoginFactory


@pytest.fixture(scope="module")
def standin():
    server = OpenAIStandin()
    server.url = server.start()
    yield server
    server.stop()


@pytest.fixture
def ai_on(settings, standin):
    """Chat completions through the stand-in. A fresh model name per test keeps earlier
    tests' cached answers out (the model is part of the cache key)."""
    settings.OPENAI_API_KEY = "sk-test-standin"
    settings.OPENAI_BASE_URL = standin.url
    settings.OPENAI_CHAT_MODEL = f"standin-chat-{uuid.uuid4().hex[:8]}"
    settings.OPENAI_TIMEOUT_SECONDS = 1.0
    settings.OPENAI_MOTIVATION_DAILY_CALLS = 100
    settings.OPENAI_MOTIVATION_DAILY_TOKENS = 100_000
    settings.OPENAI_MOTIVATION_MAX_TOKENS = 150
    standin.mode, standin.delay = "ok", 2.0
    standin.chat_requests.clear()
    yield standin
    standin.mode = "ok"


@pytest.fixture
def member(gym_a):
    with tenant_context(gym_a):
        return MemberWithLoginFactory(first_name="Ana", language="en")


def _checkin(member, days_ago=0, status=CheckInStatus.WENT, **fields):
    on = local_today(member) - timedelta(days=days_ago)
    return CheckIn.objects.create(member=member, on=on, status=status, **fields)


def _streak(member, **fields):
    streak, _ = Streak.objects.update_or_create(member=member, defaults=fields)
    return streak


def _message(checkin):
    return service.motivation_for_checkin(checkin_id=checkin.pk)


# --- The AI, through the real SDK ------------------------------------------------------


def test_ai_answer_in_the_members_language_and_tone(gym_a, member, ai_on):
    with tenant_context(gym_a):
        member.language = "fr"
        member.save(update_fields=["language"])
        GoalSettings.objects.create(member=member, tone="calm")
        _checkin(member, days_ago=1)
        _streak(member, current=2, longest=4, habit_score=0.4)
        motivation = _message(_checkin(member, mood=4))
        assert motivation.source == "ai" and motivation.fallback_reason == ""
        assert motivation.language == "fr" and motivation.tone == "calm"
        assert motivation.situation == Situation.STREAK_UP
        assert "Ana" in motivation.text and "{name}" not in motivation.text
        assert rejection(motivation.text, "fr") == ""
        assert motivation.prompt_tokens > 0 and motivation.completion_tokens > 0
        usage = AIUsage.objects.get()
        assert usage.calls == 1
        assert usage.tokens == motivation.prompt_tokens + motivation.completion_tokens
    body = ai_on.chat_requests[0]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["max_tokens"] == 150
    prompt = body["messages"][1]["content"]
    assert "language: fr" in prompt and "tone: calm" in prompt
    assert "streak: 2 days" in prompt and "today went (mood 4/5)" in prompt
    assert "yesterday went" in prompt
    assert "Ana" not in prompt  # no name leaves the gym


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("error", "error"),
        ("slow", "timeout"),
        ("refusal", "refusal"),
        ("invalid_json", "invalid_output"),
        ("long", "rejected_too_long"),
        ("wrong_language", "rejected_wrong_language"),
        ("medical", "rejected_medical"),
    ],
)
def test_every_failure_falls_back_to_the_library_with_its_reason(
    gym_a, member, ai_on, mode, reason
):
    ai_on.mode = mode
    ai_on.delay = 1.5  # past the 1 s timeout
    with tenant_context(gym_a):
        member.language = "es"
        member.save(update_fields=["language"])
        motivation = _message(_checkin(member))
        assert motivation.source == "library"
        assert motivation.fallback_reason == reason
        assert motivation.library_key.startswith("friendly.first_checkin.")
        assert rejection(motivation.text, "es") == ""
        assert AIUsage.objects.get().calls == 1
        if mode in ("error", "slow"):
            assert motivation.prompt_tokens == 0  # no answer, nothing counted
        else:
            assert motivation.prompt_tokens > 0  # an answer was paid for, and recorded
    assert len(ai_on.chat_requests) == 1


def test_an_answer_cut_at_max_tokens_is_invalid(gym_a, member, ai_on, settings):
    settings.OPENAI_MOTIVATION_MAX_TOKENS = 4
    with tenant_context(gym_a):
        motivation = _message(_checkin(member))
    assert motivation.source == "library" and motivation.fallback_reason == "invalid_output"
    assert ai_on.chat_requests[0]["max_tokens"] == 4


def test_no_model_or_no_key_means_the_library_and_no_call(gym_a, member, ai_on, settings):
    settings.OPENAI_CHAT_MODEL = ""
    with tenant_context(gym_a):
        motivation = _message(_checkin(member))
        assert motivation.fallback_reason == "no_key"
        settings.OPENAI_CHAT_MODEL = "standin-chat"
        settings.OPENAI_API_KEY = ""
        other = MemberWithLoginFactory(first_name="Bo")
        assert _message(_checkin(other)).fallback_reason == "no_key"
        assert not AIUsage.objects.exists()
    assert ai_on.chat_requests == []


def test_identical_prompts_are_answered_from_the_cache(gym_a, member, ai_on):
    with tenant_context(gym_a):
        first = _message(_checkin(member))
        other = MemberWithLoginFactory(first_name="Bo", language="en")
        second = _message(_checkin(other))  # the same situation: the same prompt
        assert first.source == second.source == "ai"
        assert second.text == first.text.replace("Ana", "Bo")
        assert second.prompt_tokens == 0 and second.completion_tokens == 0
        assert AIUsage.objects.get().calls == 1
    assert len(ai_on.chat_requests) == 1


def test_the_cache_is_per_gym(gym_a, gym_b, member, ai_on):
    with tenant_context(gym_a):
        _message(_checkin(member))
    with tenant_context(gym_b):
        other = MemberWithLoginFactory(first_name="Bo", language="en")
        assert _message(_checkin(other)).source == "ai"
    assert len(ai_on.chat_requests) == 2


def test_the_cache_key_carries_the_gym_and_the_schema_version(gym_a):
    with tenant_context(gym_a):
        key = service.motivation_cache_key("m", [{"role": "user", "content": "x"}])
    assert gym_a.schema_name in key and service.SCHEMA_VERSION in key


def test_daily_budget_in_calls(gym_a, member, ai_on, settings):
    settings.OPENAI_MOTIVATION_DAILY_CALLS = 2
    with tenant_context(gym_a):
        members = [member] + [MemberWithLoginFactory(language="en") for _ in range(2)]
        sources = []
        for index, someone in enumerate(members):
            # Different streaks: different prompts, so no cache hit.
            _streak(someone, current=index + 2)
            _checkin(someone, days_ago=1)
            sources.append(_message(_checkin(someone)))
        assert [m.source for m in sources] == ["ai", "ai", "library"]
        assert sources[2].fallback_reason == "budget_calls"
        assert AIUsage.objects.get().calls == 2
    assert len(ai_on.chat_requests) == 2


def test_daily_budget_in_tokens(gym_a, member, ai_on, settings):
    with tenant_context(gym_a):
        first = _message(_checkin(member))
        spent = first.prompt_tokens + first.completion_tokens
        settings.OPENAI_MOTIVATION_DAILY_TOKENS = spent  # now exactly spent
        other = MemberWithLoginFactory(language="en")
        _streak(other, current=3)
        _checkin(other, days_ago=1)
        second = _message(_checkin(other))
        assert second.source == "library" and second.fallback_reason == "budget_tokens"
        assert AIUsage.objects.get().tokens == spent
    assert len(ai_on.chat_requests) == 1


def test_the_budget_counts_per_utc_day(gym_a, member, ai_on, settings):
    settings.OPENAI_MOTIVATION_DAILY_CALLS = 1
    with tenant_context(gym_a):
        AIUsage.objects.create(day=timezone.now().date() - timedelta(days=1), calls=1)
        assert _message(_checkin(member)).source == "ai"


# --- Situations, library, once ---------------------------------------------------------


def test_situation_rules(gym_a, member):
    with tenant_context(gym_a):
        first = _checkin(member, days_ago=20)
        assert service.motivation_situation(checkin=first, streak=None) == "first_checkin"
        back = _checkin(member, days_ago=10)
        assert service.motivation_situation(checkin=back, streak=None) == "comeback"
        rest = _checkin(member, days_ago=9, status=CheckInStatus.REST)
        assert service.motivation_situation(checkin=rest, streak=None) == "rest_day"
        missed = _checkin(member, days_ago=8, status=CheckInStatus.MISSED)
        assert service.motivation_situation(checkin=missed, streak=None) == "streak_broken"
        up = _checkin(member, days_ago=7)
        streak = _streak(member, current=3)
        assert service.motivation_situation(checkin=up, streak=streak) == "streak_up"
        streak.current = 7
        assert service.motivation_situation(checkin=up, streak=streak) == "milestone"


def test_library_never_repeats_the_last_five(gym_a, member):
    with tenant_context(gym_a):
        seen = []
        for days_ago in range(12, -1, -1):
            motivation = _message(_checkin(member, days_ago=days_ago, status="rest"))
            assert motivation.source == "library"
            assert motivation.library_key not in seen[-5:]
            seen.append(motivation.library_key)
        assert len(set(seen)) == 6  # all six rest-day messages, in rotation


def test_library_pick_is_deterministic(gym_a, member):
    with tenant_context(gym_a):
        picks = {
            service.motivation_library_pick(
                member=member, tone="calm", situation="morning", language="de", day="2026-01-01"
            )
            for _ in range(3)
        }
    assert len(picks) == 1
    key, text = picks.pop()
    assert key.startswith("calm.morning.") and rejection(text.replace("{name}", "X"), "de") == ""


def test_a_retried_task_adds_nothing(gym_a, member, ai_on):
    with tenant_context(gym_a):
        checkin = _checkin(member)
        first = _message(checkin)
        again = _message(checkin)
        assert again.pk == first.pk
        assert Motivation.objects.filter(checkin=checkin).count() == 1
        assert Notification.objects.filter(member=member, kind="motivation").count() == 1
    assert len(ai_on.chat_requests) == 1


def test_the_message_arrives_in_the_inbox_only(gym_a, member):
    with tenant_context(gym_a):
        motivation = _message(_checkin(member))
        notification = Notification.objects.get(member=member, kind="motivation")
        assert notification.body == motivation.text
        assert notification.url == "/app/motivation/"
        assert notification.data["motivation_id"] == motivation.pk
        assert not notification.deliveries.exists()  # no email, no push


def test_motivation_off_queues_and_writes_nothing(
    gym_a, member, django_capture_on_commit_callbacks
):
    with tenant_context(gym_a):
        GoalSettings.objects.create(member=member, motivation=False)
        checkin = _checkin(member)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            service.motivation_queue_for_checkin(checkin=checkin)
            service.motivation_queue_morning(member=member)
        assert callbacks == []
        assert _message(checkin) is None
        assert service.motivation_morning(member_id=member.pk) is None
        assert not Motivation.objects.exists()


def test_queueing_runs_the_task_after_commit(gym_a, member, django_capture_on_commit_callbacks):
    with tenant_context(gym_a):
        checkin = _checkin(member)
        with django_capture_on_commit_callbacks(execute=True):
            service.motivation_queue_for_checkin(checkin=checkin)
            assert not Motivation.objects.exists()  # nothing before the commit
        assert Motivation.objects.get().checkin == checkin


def test_morning_message_once_a_day(gym_a, member, django_capture_on_commit_callbacks):
    with tenant_context(gym_a):
        with django_capture_on_commit_callbacks(execute=True):
            service.motivation_queue_morning(member=member)
        morning = Motivation.objects.get()
        assert morning.situation == "morning" and morning.checkin is None
        assert service.motivation_morning(member_id=member.pk) is None
        assert Motivation.objects.count() == 1


def test_requeue_finds_checkins_of_the_last_hour_without_a_message(
    gym_a, member, django_capture_on_commit_callbacks
):
    with tenant_context(gym_a):
        old = timezone.now() - timedelta(minutes=10)
        lost = _checkin(member, days_ago=1, updated_at=old)
        done = _checkin(member, updated_at=old)
        _message(done)
        _checkin(MemberWithLoginFactory(), updated_at=timezone.now() - timedelta(hours=3))
        with django_capture_on_commit_callbacks(execute=True):
            assert service.motivation_requeue_recent() == 1
        assert Motivation.objects.filter(checkin=lost).count() == 1


def test_unknown_language_falls_back_to_english(gym_a, member):
    with tenant_context(gym_a):
        member.language = "pt"
        assert service.motivation_language(member) == "en"
        member.language = "de"
        assert service.motivation_language(member) == "de"


# --- make run ----------------------------------------------------------------------------


def test_make_run_points_motivation_at_the_standin_unless_an_endpoint_is_set(monkeypatch):
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "OPENAI_CHAT_MODEL", "OPENAI_STANDIN_PORT"):
        monkeypatch.delenv(name, raising=False)
    stack = Stack(name="run", persist=True)
    command = openai_env(stack)
    port = command[command.index("--port") + 1]
    assert command[0] == "devtools.openai_standin"
    assert stack.env["OPENAI_BASE_URL"] == f"http://127.0.0.1:{port}/v1"
    assert stack.env["OPENAI_API_KEY"] and stack.env["OPENAI_CHAT_MODEL"]
    # The command as make run starts it answers, and takes a mode from another process.
    proc = subprocess.Popen([sys.executable, "-m", *command], stdout=subprocess.DEVNULL)
    try:
        control = f"http://127.0.0.1:{port}/_standin/mode"
        for _ in range(100):
            try:
                urllib.request.urlopen(control, timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        request = urllib.request.Request(control, data=b'{"mode": "slow", "delay": 2}')
        answer = json.loads(urllib.request.urlopen(request, timeout=2).read())
        assert answer["mode"] == "slow" and answer["delay"] == 2
    finally:
        proc.terminate()
        proc.wait(10)

    monkeypatch.setenv("OPENAI_API_KEY", "sk-someones-own")
    own = Stack(name="run", persist=True)
    assert openai_env(own) is None and "OPENAI_BASE_URL" not in own.env


def test_the_requeue_job_is_scheduled_per_gym(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["goals-motivation-requeue"]
    assert entry["task"] == "apps.tenants.tasks.fan_out"
    assert entry["args"] == ["apps.goals.tasks.motivation_requeue_recent"]
    assert tasks.motivation_requeue_recent.name == entry["args"][0]
