"""The demo world (every role, every domain, two counties), loaded once for this package.

The crawl, the access matrix and the fuzzer all need the same thing: each kind of user the
portal has, with real rows of every kind inside and outside their jurisdiction. `make run`'s
demo data is exactly that, so it is loaded here once, inside a transaction that is rolled back
when the package's tests are done; each test runs in a savepoint inside it (pytest-django's
`db`), so what one test changes is gone before the next.
"""

from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.db import transaction

from tests.conftest import ensure_holidays, ensure_regions

# The demo's named logins (README), with what they are.
ROLES = {
    "anonymous": "not signed in",
    "nobody": "signed in, no person bound, no role",
    "citizen": "王秀英, a citizen of 崇安社区 (兴庆区)",
    "family": "a family member acting for 王秀英",
    "caseworker": "township caseworker, 凤凰北街街道 (兴庆区)",
    "caseworker_xixia": "township caseworker of another county (西夏区)",
    "approver": "county approver, 兴庆区",
    "supervisor": "city supervisor, 银川市",
    "registrar": "marriage registrar, 兴庆区",
    "childworker": "child-welfare worker, 兴庆区",
    "director": "community children's director, 凤凰北街街道",
    "provider": "home-care provider staff",
    "org": "staff of a social service agency",
    "donor": "a donor",
    "admin": "the system administrator",
}


@dataclass
class World:
    users: dict = field(default_factory=dict)

    def user(self, role):
        """A fresh copy from the database each time: a test that changes a user (a password,
        a flag) in its savepoint must not leave the change in an object the next test uses."""
        from civilaffairs.accounts.models import User

        return User.objects.get(pk=self.users[role].pk)


@pytest.fixture(scope="package")
def world(django_db_setup, django_db_blocker):
    from civilaffairs.accounts.models import User
    from civilaffairs.portal import demo

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            ensure_regions()
            ensure_holidays()
            demo.load(log=lambda *args: None)
            nobody = User.objects.create_user("nobody", password="Correct-Horse-Battery-9")
            users = {u.username: u for u in User.objects.filter(username__in=ROLES)}
            users["nobody"] = nobody
            missing = set(ROLES) - set(users) - {"anonymous"}
            assert not missing, f"the demo data lacks {missing}"
            yield World(users=users)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            cache.clear()
