"""A department's client, made as an administrator makes it, and calls through the real token
endpoint (OAuth2 client credentials)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from oauth2_provider.models import get_application_model

from civilaffairs.benefits.actions.ledger import do_grant
from civilaffairs.casework.actions import do_create_case
from civilaffairs.exchange.models import ApiGrant, ApiPurpose
from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.people.models import Membership, Person, Region
from tests.factories import PersonFactory, make_household

ALL = [
    "persons:read",
    "households:read",
    "benefits:read",
    "marriage:read",
    "cases:read",
    "recipients:read",
    "deaths:write",
    "incomes:write",
    "disabilities:write",
    "premarital:write",
    "economic-checks:answer",
]


class Department:
    """An API client with its grant; `call` gets a token once and sends the purpose."""

    def __init__(self, client, grant, secret):
        self.http = client
        self.grant = grant
        self.secret = secret
        self._token = None

    def token(self):
        if self._token is None:
            response = self.http.post(
                "/api/v1/oauth/token/",
                {
                    "grant_type": "client_credentials",
                    "client_id": self.grant.application.client_id,
                    "client_secret": self.secret,
                },
            )
            assert response.status_code == 200, response.content
            self._token = response.json()["access_token"]
        return self._token

    def headers(self, purpose="check", reference=None, token=None):
        h = {"HTTP_AUTHORIZATION": f"Bearer {token or self.token()}"}
        if purpose is not None:
            h["HTTP_X_PURPOSE"] = purpose
        if reference is not None:
            h["HTTP_X_REFERENCE"] = reference
        return h

    def post(self, path, body, **kw):
        return self.http.post(path, body, content_type="application/json", **self.headers(**kw))

    def get(self, path, data=None, **kw):
        return self.http.get(path, data or {}, **self.headers(**kw))


def make_department(
    client,
    name="公安局",
    *,
    region="640100",
    endpoints=ALL,
    level=Confidentiality.CONFIDENTIAL,
    ids=False,
    per_minute=600,
    per_day=100_000,
    expires=None,
):
    Application = get_application_model()
    secret = f"secret-of-{name}-{region}-0123456789"
    app = Application.objects.create(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
    )
    grant = ApiGrant.objects.create(
        application=app,
        department=name,
        endpoints=list(endpoints),
        region=Region.objects.get(code=region),
        max_confidentiality=level,
        may_see_id_number=ids,
        per_minute=per_minute,
        per_day=per_day,
        expires_at=expires or timezone.now() + dt.timedelta(days=365),
    )
    ApiPurpose.objects.create(grant=grant, code="check", description="核查救助对象身份")
    ApiPurpose.objects.create(
        grant=grant, code="case", description="办理具体案件", needs_reference=True
    )
    return Department(client, grant, secret)


@pytest.fixture
def dept(client, regions):
    return make_department(client)


@pytest.fixture
def family(regions):
    """A 兴庆区 household of two, the head on 低保 since January."""
    head = PersonFactory(
        name="王晓明", birth_date=dt.date(1970, 3, 8), marital_status=Person.MaritalStatus.MARRIED
    )
    wife = PersonFactory(name="李芳", sex="F", birth_date=dt.date(1972, 6, 1))
    make_household(head, (wife, Membership.Relation.SPOUSE))
    region = Region.objects.get(code="640104001")
    case = do_create_case(
        acting_user=None, service="assistance.dibao", region=region, applicant=head
    )
    month = timezone.localdate().replace(day=1)
    entitlement = do_grant(
        case,
        acting_user=None,
        person=head,
        program="assistance.dibao",
        monthly_amount=Decimal("720.00"),
        start_month=month,
    )
    return {"head": head, "wife": wife, "case": case, "entitlement": entitlement}


@pytest.fixture
def elsewhere(regions):
    """A person of 西夏区 (another county)."""
    village = Region.objects.filter(
        code__startswith="640105001", level=Region.Level.VILLAGE
    ).first()
    return PersonFactory(hukou_region=village)
