"""Sessions and the signed-in user are read with written-out queries (newsportal.sessions,
accounts.backends); everything Django guarantees about them must still hold."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from accounts.backends import user_by_pk
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def signed_in(client):
    return "/accounts/logout/" in client.get("/").content.decode()


@pytest.fixture
def reader():
    return UserFactory(username="Мадина", display_name="Мадина Ахметова")


@pytest.fixture
def logged_in(reader):
    client = Client(headers={"accept-language": "ru"})
    response = client.post("/accounts/login/", {"login": "Мадина", "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_a_reader_who_logs_in_stays_signed_in_with_their_name(logged_in):
    page = logged_in.get("/").content.decode()
    assert "Мадина Ахметова" in page and "/accounts/logout/" in page


def test_an_expired_session_signs_the_reader_out(logged_in):
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert not signed_in(logged_in)


def test_an_unknown_session_key_signs_nobody_in(client):
    client.cookies["sessionid"] = "x" * 32
    assert not signed_in(client)


def test_logging_out_ends_the_session(logged_in):
    logged_in.post("/accounts/logout/")
    assert not signed_in(logged_in)
    assert Session.objects.count() == 0


def test_a_deactivated_account_is_signed_out(logged_in, reader):
    reader.is_active = False
    reader.save()
    assert not signed_in(logged_in)


def test_a_password_change_elsewhere_signs_other_browsers_out(logged_in, reader):
    reader.set_password("совсем-другой-пароль-2026")
    reader.save()
    assert not signed_in(logged_in)


def test_the_loaded_user_is_the_ORMs_user(reader):
    """Types included: dates are aware, flags are booleans, on either database."""
    reader.last_login = timezone.now()
    reader.save()
    loaded = user_by_pk(reader.pk)
    expected = get_user_model().objects.get(pk=reader.pk)
    for field in get_user_model()._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded.is_active is True and timezone.is_aware(loaded.date_joined)
    assert user_by_pk(reader.pk + 1000) is None
    assert user_by_pk("not a key") is None


@pytest.mark.parametrize(
    "former_backend",
    [
        "django.contrib.auth.backends.ModelBackend",
        "allauth.account.auth_backends.AuthenticationBackend",
    ],
)
def test_readers_signed_in_before_the_backends_moved_stay_signed_in(reader, former_backend):
    client = Client(headers={"accept-language": "ru"})
    client.force_login(reader, backend="accounts.backends.ModelBackend")
    session = client.session
    session["_auth_user_backend"] = former_backend
    session.save()
    assert signed_in(client)
