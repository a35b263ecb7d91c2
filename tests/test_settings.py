"""Production mode: what `manage.py check --deploy` says, and what it refuses."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_KEY = "k" * 20 + "-production-secret-key-for-tests-only-" + "z" * 20


def manage(*args, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is itself a deploy error (async.E001).
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production_mode():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY=PRODUCTION_KEY, ALLOWED_HOSTS="news.example.kz",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ALLOWED_HOSTS": "news.example.kz"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": PRODUCTION_KEY}, "ALLOWED_HOSTS must list"),
        (
            {"SECRET_KEY": PRODUCTION_KEY, "ALLOWED_HOSTS": "x", "SECURE_HSTS_SECONDS": "soon"},
            "SECURE_HSTS_SECONDS must be a whole number",
        ),
    ],
    ids=["no-secret-key", "no-allowed-hosts", "bad-number"],
)
def test_production_mode_refuses_to_start_without_what_it_needs(env, message):
    result = manage("check", DEBUG="0", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_development_needs_nothing_set():
    result = manage("check")
    assert result.returncode == 0, result.stderr
