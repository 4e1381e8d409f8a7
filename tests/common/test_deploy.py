"""Production settings, loaded as the container loads them: `manage.py check --deploy` is
clean with the documented configuration (docker/.env.example), and a missing secret or
address stops the process instead of falling back to a default.

Each check runs in a subprocess with a clean environment (settings are read once per
process, and this process runs the test settings). No database is needed.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / "docker" / ".env.example"
# What a process needs from the outside world, nothing that could configure Django.
PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def documented_env() -> dict[str, str]:
    """docker/.env.example as compose's env_file reads it (KEY=value; # comments)."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"not KEY=value in {ENV_EXAMPLE.name}: {line!r}"
            values[key] = value
    return values


def prod_env(**overrides: str | None) -> dict[str, str]:
    env = {key: os.environ[key] for key in PASSTHROUGH if key in os.environ}
    env.update(documented_env())
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),  # 86 characters
        DATABASE_URL="postgres://gym:x@localhost:5432/gym",
        REDIS_URL="redis://localhost:6379/0",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_env_example_documents_the_required_variables():
    documented = documented_env()
    for name in (
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_SECRET_KEY",
        "PLATFORM_DOMAIN",
        "DJANGO_ALLOWED_HOSTS",
        "DJANGO_CSRF_TRUSTED_ORIGINS",
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "EMAIL_HOST",
        "POSTGRES_PASSWORD",
    ):
        assert name in documented, f"{name} missing from docker/.env.example"
    # The example must never carry a usable secret.
    assert documented["DJANGO_SECRET_KEY"] == ""


def test_check_deploy_is_clean_with_the_documented_configuration():
    result = manage(prod_env(), "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in result.stdout, output
    assert "warning" not in output.lower(), output


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_prod_settings_refuse_to_load_without_a_secret_key(value):
    result = manage(prod_env(DJANGO_SECRET_KEY=value), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr, result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr, result.stderr


@pytest.mark.parametrize(
    "name", ["PLATFORM_DOMAIN", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"]
)
def test_prod_settings_refuse_to_fall_back_to_local_addresses(name):
    result = manage(prod_env(**{name: None}), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr, result.stderr
    assert name in result.stderr, result.stderr


def test_every_long_running_service_restarts_and_has_a_health_check():
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"web", "ws", "worker", "beat", "postgres", "redis", "proxy"} <= set(services)
    for name, service in services.items():
        assert service.get("restart") == "unless-stopped", name
        if name != "proxy":  # nginx: restarted by policy, its upstreams are checked
            assert service.get("healthcheck", {}).get("test"), name
