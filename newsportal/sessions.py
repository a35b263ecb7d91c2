"""Django's database sessions, read with a written-out query and kept in the shared cache
for a short while (newsportal.snapshots).

Every signed-in request reads its session. Through the ORM that costs about 0.45 ms of
CPU, most of it compiling the same query again; written out it costs 0.08 ms, and from
the cache, with no database round trip at all, less. The table stays the truth: every
write goes to it first and then forgets the cached copy, and a copy is never taken past
the session's expiry. The table, expiry and `clearsessions` are Django's own
(django.contrib.sessions.backends.db).
"""

import pickle

from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone

from accounts.backends import FORMER_PATHS

from . import snapshots
from .cache import NearCopies


def _snapshot_key(session_key):
    return f"snapshot:session:{session_key}"


# The copies this process last read from the cache, by session key (signature: the copy;
# value: the user it names and the data, pickled rather than decoded again: the copy's
# signature was checked when it was read, and unpickling a small dict costs a tenth of
# that check). A page that fetches other things from the cache asks for the session's copy
# in the same round trip and confirms it is still this one (SessionStore.near_user_pk,
# confirm_near); a copy is never used without that confirmation.
_seen = NearCopies()


def _keep_seen(session_key, copy, data):
    pickled = pickle.dumps(data)
    seconds_left = copy[1] - timezone.now().timestamp()
    _seen.keep(
        session_key, copy, (data.get(SESSION_KEY), pickled), len(pickled), seconds_left * 1000
    )


class SessionStore(DatabaseSessionStore):
    def load(self):
        return self._with_current_backend(self._load_data())

    @staticmethod
    def _with_current_backend(data):
        backend = data.get(BACKEND_SESSION_KEY)
        if backend in FORMER_PATHS:  # signed in before accounts.backends existed
            data[BACKEND_SESSION_KEY] = FORMER_PATHS[backend]
        return data

    # The session confirmed in another round trip (articles.reader_page).

    def snapshot_key(self):
        return _snapshot_key(self.session_key)

    def near_user_pk(self):
        """The user that this process's last copy of the session names, if any, without
        asking the cache: only a guess until confirm_near() says the copy is current."""
        if not snapshots.enabled() or not self.session_key or hasattr(self, "_session_cache"):
            return None
        seen = _seen.get(self.session_key)
        return None if seen is None else seen.value[0]

    def confirm_near(self, answer):
        """answer: what the cache held under snapshot_key() a moment ago. If it is the copy
        near_user_pk() came from and has not expired, the session is loaded from it (as
        load() would have) and True is returned."""
        seen = _seen.get(self.session_key)  # gone once the copy has expired
        if seen is None or answer != seen.signature:
            return False
        self._session_cache = self._with_current_backend(pickle.loads(seen.value[1]))
        self.accessed = True
        return True

    def _load_data(self):
        if not snapshots.enabled() or not self.session_key:
            return super().load()
        key = self.snapshot_key()
        copy = snapshots.read(key)
        if copy is not None and copy != snapshots.GONE:
            session_data, expires_at = copy
            if expires_at > timezone.now().timestamp():
                data = self.decode(session_data)
                _keep_seen(self.session_key, copy, data)
                return data
        row = self._get_session_from_db()
        if row is None:
            return {}
        expires_at = row.expire_date.timestamp()
        seconds_left = int(expires_at - timezone.now().timestamp())
        if copy is None and seconds_left > 0:  # not while a change is forgotten (GONE)
            snapshots.fill(key, (row.session_data, expires_at), seconds_left)
        return self.decode(row.session_data)

    def _get_session_from_db(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('session_data')}, {quote('expire_date')} "
                f"FROM {quote(model._meta.db_table)} "
                f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s",
                [
                    self.session_key,
                    connection.ops.adapt_datetimefield_value(timezone.now()),
                ],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        expire_date = model._meta.get_field("expire_date")
        converters = connection.ops.get_db_converters(expire_date.get_col(model._meta.db_table))
        value = row[1]
        for converter in converters:
            value = converter(value, expire_date, connection)
        return model(session_key=self.session_key, session_data=row[0], expire_date=value)

    def save(self, must_create=False):
        super().save(must_create=must_create)
        # Forgotten rather than replaced: a copy written now could land after a sign-out
        # on another server had forgotten the session, and bring it back. The next read
        # takes a fresh copy from the table.
        if snapshots.enabled() and self.session_key is not None:
            snapshots.forget(self.snapshot_key(), using=router.db_for_write(self.model))

    def delete(self, session_key=None):
        if session_key is None:
            session_key = self.session_key
        super().delete(session_key)
        if session_key is not None and snapshots.enabled():
            snapshots.forget(_snapshot_key(session_key), using=router.db_for_write(self.model))
