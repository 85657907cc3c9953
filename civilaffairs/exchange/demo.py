"""The demo's department client, so the API can be tried after `make run` (README)."""

import datetime as dt

from django.utils import timezone
from oauth2_provider.models import get_application_model

from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.people.models import Region

from .endpoints import ENDPOINTS
from .models import ApiGrant, ApiPurpose

# Published in the README and the start-up banner: a demo's credentials, never production's.
DEMO_CLIENT_ID = "demo-gongan"
DEMO_CLIENT_SECRET = "demo-gongan-secret-2026"  # noqa: S105 (published, demo)


def create_demo_client(log=print) -> None:
    Application = get_application_model()
    if Application.objects.filter(client_id=DEMO_CLIENT_ID).exists():
        return
    city = Region.objects.filter(code="640100").first()
    if city is None:
        return
    app = Application.objects.create(
        name="银川市公安局（演示）",
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    grant = ApiGrant.objects.create(
        application=app,
        department="银川市公安局（演示）",
        endpoints=[e.code for e in ENDPOINTS],
        region=city,
        max_confidentiality=Confidentiality.CONFIDENTIAL,
        expires_at=timezone.now() + dt.timedelta(days=3 * 365),
    )
    ApiPurpose.objects.create(
        grant=grant,
        code="identity-check",
        description="核查社会救助对象身份和家庭成员",
        legal_basis="《社会救助暂行办法》第十一条",
    )
    log("API client of the demo: created")
