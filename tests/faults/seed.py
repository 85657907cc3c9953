"""Data for the fault suite, written by a process of its own into the suite's database
(DATABASE_URL): the region table, the test personas and offices with the real assistance
rules, and applications filled in and ready to be sent, each by a citizen of its own household
(a household has one open case of a program) living in one of three areas served by three
different offices.

    python -m tests.faults.seed base OUT.json --drafts N   # everything; ids into OUT.json
    python -m tests.faults.seed submit IN.json FIRST LAST  # submit drafts FIRST..LAST-1

Only ids go to the output file; the log shows counts, never a person.
"""

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civilaffairs.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402

from assistance import actions  # noqa: E402
from assistance.models import AssistanceApplication  # noqa: E402
from civilaffairs.accounts.models import User  # noqa: E402
from civilaffairs.casework.actions import do_create_case  # noqa: E402
from civilaffairs.casework.models import Case  # noqa: E402
from civilaffairs.people.models import Region  # noqa: E402
from tests.assistance.conftest import fill_dibao, setup_assistance  # noqa: E402
from tests.factories import (  # noqa: E402
    PASSWORD,
    PersonFactory,
    make_household,
    make_personas,
)

# Where the citizens live, and which persona office must get their applications: the township
# office, the other county's township office, and (no township office there) the county bureau.
AREAS = (
    ("citizen_a", "640104001002", "township"),
    ("citizen_b", "640105001002", "other_township"),
    ("citizen_c", "640104002001", "county"),
)


def base(out: str, drafts: int):
    call_command("load_regions", verbosity=0)
    personas = setup_assistance(make_personas())
    areas = [
        (Region.objects.get(code=code), getattr(personas, office).pk) for _, code, office in AREAS
    ]
    hashed = make_password(PASSWORD)  # hashed once: it is slow on purpose
    citizens, ready = [], []
    for n in range(drafts):
        name, _, _ = AREAS[n % len(AREAS)]
        region, office = areas[n % len(AREAS)]
        person = PersonFactory(hukou_region=region, residence_region=region)
        household = make_household(person)
        user = User.objects.create(username=f"{name}_{n}", person=person, password=hashed)
        citizens.append(
            {"username": user.username, "user": user.pk, "person": person.pk, "office": office}
        )
        case = do_create_case(
            acting_user=user,
            service="assistance.dibao",
            region=region,
            applicant=person,
            household=household,
            channel=Case.Channel.ONLINE,
        )
        app = AssistanceApplication.objects.create(case=case, kind="dibao")
        fill_dibao(app, user)
        ready.append({"app": app.pk, "case": case.pk, "user": user.pk})
    with open(out, "w") as fh:
        json.dump({"citizens": citizens, "drafts": ready, "password": PASSWORD}, fh)
    print(f"seeded {len(citizens)} citizens with an application each, ready to send")


def submit(path: str, first: int, last: int):
    """Send applications one by one, each in its own transaction, as citizens do: screening is
    queued as each one commits."""
    with open(path) as fh:
        drafts = json.load(fh)["drafts"][first:last]
    users = {u.pk: u for u in User.objects.filter(pk__in={d["user"] for d in drafts})}
    for d in drafts:
        app = AssistanceApplication.objects.get(pk=d["app"])
        actions.do_submit_application(app, acting_user=users[d["user"]])
    print(f"submitted {len(drafts)} applications")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "base":
        base(args[0], int(args[2]) if args[1:2] == ["--drafts"] else 0)
    elif command == "submit":
        submit(args[0], int(args[1]), int(args[2]))
    else:
        raise SystemExit(f"unknown command {command!r}")
