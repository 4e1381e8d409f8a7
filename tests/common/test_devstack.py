"""The embedded services of `make run`/`make test` (config/devstack.py)."""

import pytest
import redis

from config.devstack import Stack, start_redis, stripe_env


@pytest.mark.parametrize(("persist", "save", "aof"), [(True, "60 1", "yes"), (False, "", "no")])
def test_make_run_redis_persists_its_queue_to_disk_and_the_test_redis_does_not(
    tmp_path, persist, save, aof
):
    proc, url = start_redis(tmp_path, persist)
    try:
        config = redis.Redis.from_url(url).config_get("*")
        assert (config["save"], config["appendonly"]) == (save, aof)
        assert config["dir"] == str(tmp_path)
    finally:
        proc.terminate()
        proc.wait(10)


def test_make_run_points_stripe_at_the_standin_unless_a_stripe_is_configured(monkeypatch):
    monkeypatch.delenv("STRIPE_API_BASE", raising=False)
    monkeypatch.delenv("PLATFORM_STRIPE_SECRET_KEY", raising=False)
    monkeypatch.delenv("STRIPE_STANDIN_PORT", raising=False)
    stack = Stack(name="run", persist=True)
    command = stripe_env(stack)
    assert command[0] == "devtools.stripe_standin" and "--state" in command
    port = command[command.index("--port") + 1]
    assert stack.env["STRIPE_API_BASE"] == f"http://127.0.0.1:{port}"
    assert stack.env["PLATFORM_STRIPE_SECRET_KEY"].startswith("sk_test_")
    assert stack.env["STRIPE_CONNECT_WEBHOOK_SECRET"]

    monkeypatch.setenv("PLATFORM_STRIPE_SECRET_KEY", "sk_test_someonesOwnAccount000000")
    own = Stack(name="run", persist=True)
    assert stripe_env(own) is None
    assert "STRIPE_API_BASE" not in own.env
