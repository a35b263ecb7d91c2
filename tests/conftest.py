import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def redis_breaker_closed():
    # A test that takes Redis away opens the breaker for a few seconds; the next test
    # starts with a cache that is there.
    from newsportal import cache as resilient

    resilient._down_until = 0.0
    resilient._had_outage = False
    yield
    resilient._down_until = 0.0
    resilient._had_outage = False


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    # Whole-page caching would hide what a test changed behind the services' backs (the
    # factories write directly); tests/test_page_cache.py turns it on and tests it.
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def no_auth_cache(settings):
    # Sessions and users kept in the cache (newsportal.snapshots) would make query counts
    # depend on which cache a run has; tests/test_sessions_and_users.py turns it on.
    settings.AUTH_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Factories and sign-ups hash passwords; the real hasher would cost minutes per run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def isolated_media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def russian(client):
    """Pages in Russian, the portal's default language, whatever the client sends."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    return client


@pytest.fixture
def redis_round_trips(monkeypatch):
    """Call it to start counting: it answers a list that grows by one for every batch of
    commands sent to Redis from then on."""
    from redis.connection import AbstractConnection

    def start():
        sent = []
        original = AbstractConnection.send_packed_command

        def counting(self, command, check_health=True):
            sent.append(command)
            return original(self, command, check_health)

        monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
        return sent

    return start
