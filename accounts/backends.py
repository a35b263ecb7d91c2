"""Django's and allauth's authentication backends, loading the signed-in reader faster.

Every signed-in request loads its user by primary key. Through the ORM that costs about
0.45 ms of CPU, most of it compiling the same query again; a written-out query through
Manager.raw (which still converts every column the way the ORM does) costs half, and a
copy kept in the shared cache for a short while (newsportal.snapshots) costs no database
round trip at all: every save or deletion of a user forgets it (accounts.signals). Nothing
else changes: authentication, permissions and the checks on the loaded user are the
parents' own.
"""

import contextlib
import contextvars
import functools

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router

from newsportal import snapshots


@functools.cache
def _select_by_pk(vendor):
    User = get_user_model()
    quote = connections[router.db_for_read(User)].ops.quote_name
    columns = ", ".join(quote(field.column) for field in User._meta.concrete_fields)
    return (
        f"SELECT {columns} FROM {quote(User._meta.db_table)} "
        f"WHERE {quote(User._meta.pk.column)} = %s"
    )


def snapshot_key(pk):
    return f"snapshot:user:{pk}"


# A copy of the user fetched by the caller in a round trip of its own (articles.reader_page
# fetches it with the page's parts): (pk, what the cache answered for snapshot_key(pk)).
_fetched = contextvars.ContextVar("fetched_user_copy", default=None)


@contextlib.contextmanager
def fetched_copy(pk, copy):
    """Within the block, user_by_pk(pk) takes `copy` (what the cache held under
    snapshot_key(pk) a moment ago) as its answer from the cache instead of asking again."""
    token = _fetched.set((pk, copy))
    try:
        yield
    finally:
        _fetched.reset(token)


def user_by_pk(pk):
    User = get_user_model()
    try:
        pk = User._meta.pk.to_python(pk)
    except ValidationError:  # a session holding something that is not a key
        return None
    if not snapshots.enabled():
        return _user_from_db(User, pk)
    key = snapshot_key(pk)
    fetched = _fetched.get()
    copy = fetched[1] if fetched is not None and fetched[0] == pk else snapshots.read(key)
    if isinstance(copy, User):
        return copy
    user = _user_from_db(User, pk)
    if user is not None and copy is None:  # not while a change is being forgotten (GONE)
        snapshots.fill(key, user)
    return user


def _user_from_db(User, pk):
    vendor = connections[router.db_for_read(User)].vendor
    found = list(User._default_manager.raw(_select_by_pk(vendor), [pk]))
    return found[0] if found else None


class FastUserLoading:
    def get_user(self, user_id):
        user = user_by_pk(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(FastUserLoading, DjangoModelBackend):
    pass


class AuthenticationBackend(FastUserLoading, AllauthBackend):
    pass


# A session names the backend that signed its reader in, and Django signs out a session
# whose backend is not in AUTHENTICATION_BACKENDS; sessions from before these subclasses
# name their parents, and newsportal.sessions reads those names as these.
FORMER_PATHS = {
    "django.contrib.auth.backends.ModelBackend": "accounts.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend": (
        "accounts.backends.AuthenticationBackend"
    ),
}
