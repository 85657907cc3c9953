"""Sessions in PostgreSQL only, read with one plain statement.

Sessions used to be `cached_db`: PostgreSQL behind a Redis copy. Django 5.2's cached_db
shrugs off a failed cache *read*, but the write that refills the cache after it raises, and so
does the delete on logout: with Redis away every signed-in request answered 500. Made to
ignore those errors (as lib.cache does), it would still be unsafe: a Redis that was unreachable
but kept its data comes back holding the session as it was before a logout, a sign-in step or
a change of rights made while it was away, and every process reads that copy first. Sessions
are security state; they are kept where they are written, in one place.

What the cache saved was time: Django's database store reads a session through the ORM,
building and compiling the query on every signed-in request; this store sends the same read
as one fixed statement with the key and the time as parameters. Writes (sign-in, sign-out, a
changed session) go through Django's code.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.db import connection
from django.utils import timezone

_READ = (
    "SELECT session_data, expire_date FROM django_session "
    "WHERE session_key = %s AND expire_date > %s"
)
_KEY_LENGTH = 40  # django_session.session_key


class SessionStore(DatabaseStore):
    def _validate_session_key(self, key):
        """Django's keys are 32 lower-case letters and digits. A cookie holding anything else
        (a NUL byte, which PostgreSQL refuses in text, or a 10 kB string) is no session."""
        return bool(key and 8 <= len(key) <= _KEY_LENGTH and key.isascii() and key.isalnum())

    def _get_session_from_db(self):
        if self.session_key is None:
            return None
        with connection.cursor() as cursor:
            cursor.execute(_READ, [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, session_data=row[0], expire_date=row[1])
