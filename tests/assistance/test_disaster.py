"""Disaster relief (issue #18, part 4): a flood recorded on the region tree counts the affected
and the vulnerable from the register per village (checked by hand on a small made-up
township), works out the needs from the norms of its level and region, records relief once
per item and household, opens emergency 临时救助 cases in one step that the township pays
first; each page kept to the viewer's area; bad input answered in words."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from assistance import disaster
from assistance.disaster_queries import parts, progress, vulnerable_households, vulnerable_page
from assistance.models import (
    AssistanceApplication,
    DisasterArea,
    DisasterCase,
    DisasterEvent,
    Relief,
)
from assistance.seed import seed_disaster_norms
from civilaffairs.benefits.models import Entitlement
from civilaffairs.casework.actions import do_create_case, do_screen_and_route, do_transition
from civilaffairs.casework.models import Case
from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.people.models import Membership, Person, Region
from civilaffairs.rules.actions import do_set_parameter
from civilaffairs.rules.models import Parameter, Program
from tests.auth import sign_in
from tests.factories import PersonFactory, StaffRole, make_household, staff
from tests.pages import page_text

pytestmark = pytest.mark.django_db

A, B, C = "640104001002", "640104001003", "640105001002"  # two villages of one township; one of
# another county


def began():
    return timezone.localdate() - dt.timedelta(days=2)


def born(years, days=30):
    """Someone `years` old (and a month) on the day the flood began."""
    day = began()
    return day.replace(year=day.year - years) - dt.timedelta(days=days)


def person(code, years, **kwargs):
    region = Region.objects.get(code=code)
    return PersonFactory(
        hukou_region=region, residence_region=region, birth_date=born(years), **kwargs
    )


@pytest.fixture
def town(assistance_setup):
    return build_town(assistance_setup)


def build_town(p):
    """Village A: a man of 85 alone; a mother with a child of 10; a man with a grade-2
    disability and his wife; a couple of 30 (and his late father); a woman of 90 in no
    household; and the citizen persona (68, in no household). Village B: a couple on 低保.
    Village C (another county): a man of 90 alone."""
    seed_disaster_norms(log=lambda *a: None)
    hh = {}
    hh["elder"] = make_household(person(A, 85))
    hh["child"] = make_household(person(A, 40, sex="F"), (person(A, 10), Membership.Relation.SON))
    hh["disabled"] = make_household(
        person(A, 50, disability_grade=2), (person(A, 48, sex="F"), Membership.Relation.SPOUSE)
    )
    late = person(A, 75)
    hh["young"] = make_household(
        person(A, 30),
        (person(A, 32, sex="F"), Membership.Relation.SPOUSE),
        (late, Membership.Relation.PARENT),
    )
    Person.objects.filter(pk=late.pk).update(date_of_death=began() - dt.timedelta(days=100))
    person(A, 90, sex="F")
    hh["dibao"] = make_household(
        person(B, 45), (person(B, 44, sex="F"), Membership.Relation.SPOUSE)
    )
    case = do_create_case(
        acting_user=None,
        service="assistance.dibao",
        region=hh["dibao"].region,
        applicant=hh["dibao"].head,
        household=hh["dibao"],
    )
    Case.objects.filter(pk=case.pk).update(state="approved", outcome=Case.Outcome.APPROVED)
    hh["other"] = make_household(person(C, 90))
    p.hh = hh
    return p


def flood(p, *, regions=("640104001",), level=2, user=None, **kwargs):
    return disaster.do_record_event(
        acting_user=user or p.approver,
        name="兴庆区洪涝",
        kind=DisasterEvent.Kind.FLOOD,
        level=level,
        started_on=kwargs.pop("started_on", began()),
        regions=[Region.objects.get(code=c) for c in regions],
        **kwargs,
    )


def area(event, code):
    return DisasterArea.objects.get(event=event, region_id=code)


def test_the_affected_and_the_vulnerable_are_counted_per_village(town):
    event = flood(town)
    a = area(event, A)
    # 9 living people: the five households' living members (1 + 2 + 2 + 2), the woman of 90
    # and the citizen; the late father is not counted.
    assert a.people == 9
    assert a.households == 4
    assert (a.aged_80, a.alone, a.disabled, a.children, a.assisted) == (2, 1, 1, 1, 0)
    # The man of 85, the child, the disabled man, the woman of 90: four people, and three
    # households (the woman of 90 has none).
    assert (a.vulnerable, a.vulnerable_households) == (4, 3)
    b = area(event, B)
    assert (b.people, b.households, b.assisted, b.vulnerable, b.vulnerable_households) == (
        2,
        1,
        2,
        2,
        1,
    )
    # Nothing of the other county; the count says when it was made.
    assert not DisasterArea.objects.filter(event=event, region_id__startswith="640105").exists()
    assert event.counted_at is not None
    # Counting again after a birth and a move changes the figures.
    person(A, 0)
    disaster.do_count_event(event, acting_user=town.approver)
    assert (area(event, A).people, area(event, A).children) == (10, 2)


def test_needs_follow_the_norms_of_the_level_and_the_region(town):
    event = flood(town, level=2)
    lines, total, found = progress(
        event, parts(event, town.approver), Region.objects.get(code="640104001")
    )
    by = {line.region.code: line for line in lines}
    # Level II, the province's norms: 0.29 tents, 300 l of water (15 l × 20 days), 450 yuan.
    assert by[A].needs["tent"] == Decimal(3)  # 9 × 0.29 = 2.61, a whole tent more
    assert by[A].needs["water"] == Decimal(2700)
    assert by[B].needs["cash"] == Decimal(900)
    assert total.needs["water"] == Decimal(3300)
    assert not found.missing
    # Village B sets its own water norm: its needs follow it, A's do not.
    do_set_parameter(
        acting_user=None,
        key="water_l2",
        region=Region.objects.get(code=B),
        value=Decimal("100"),
        valid_from=dt.date(2020, 1, 1),
        program=Program.objects.get(code="disaster_relief"),
    )
    lines, total, _found = progress(
        event, parts(event, town.approver), Region.objects.get(code="640104001")
    )
    assert total.needs["water"] == Decimal(2700 + 200)


def test_a_missing_norm_is_named_with_its_places(client, town):
    Parameter.objects.filter(key="cash_l3").delete()
    event = flood(town, level=3)
    _lines, total, found = progress(
        event, parts(event, town.approver), Region.objects.get(code="640104001")
    )
    assert sorted(found.missing["cash"]) == [A, B]
    assert total.needs["cash"] is None
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    sign_in(client, town.approver)
    page = client.get(f"/assistance/staff/disasters/{event.pk}/?region=640104001").content.decode()
    assert "Some needs cannot be worked out: a norm is missing." in page
    assert "cash_l3" in page and "崇安社区居委会" in page


def test_relief_is_given_once_per_item_and_household(town):
    event = flood(town)
    hh = town.hh["elder"]
    disaster.do_give_relief(
        event,
        hh,
        place=A,
        acting_user=town.caseworker,
        item="quilt",
        quantity=Decimal(1),
        given_on=began(),
    )
    # The refusal is read in English (an action speaks the active language).
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        disaster.do_give_relief(
            event,
            hh,
            place=A,
            acting_user=town.caseworker,
            item="quilt",
            quantity=Decimal(2),
            given_on=began(),
        )
    assert "already given" in refused.value.messages[0]
    assert began().isoformat() in refused.value.messages[0]
    assert Relief.objects.filter(event=event, household=hh).count() == 1
    # Another item is a new row; more quilts later correct the first row, with history.
    disaster.do_give_relief(
        event,
        hh,
        place=A,
        acting_user=town.caseworker,
        item="food",
        quantity=Decimal(12),
        given_on=began(),
    )
    quilt = Relief.objects.get(event=event, household=hh, item="quilt")
    disaster.do_correct_relief(
        quilt, acting_user=town.caseworker, quantity=Decimal(2), reason="补发一床"
    )
    quilt.refresh_from_db()
    assert quilt.quantity == 2
    assert [h.quantity for h in quilt.history.order_by("history_date")] == [1, 2]
    # Outside the area, nothing, a future date: refused in words.
    with (
        translation.override("en"),
        pytest.raises(ValidationError, match="does not live in the area"),
    ):
        disaster.do_give_relief(
            event,
            town.hh["other"],
            place=C,
            acting_user=town.caseworker,
            item="quilt",
            quantity=Decimal(1),
            given_on=began(),
        )
    with pytest.raises(ValidationError):
        disaster.do_give_relief(
            event,
            town.hh["child"],
            place=A,
            acting_user=town.caseworker,
            item="quilt",
            quantity=Decimal(0),
            given_on=began(),
        )
    with pytest.raises(ValidationError):
        disaster.do_give_relief(
            event,
            town.hh["child"],
            place=A,
            acting_user=town.caseworker,
            item="quilt",
            quantity=Decimal(1),
            given_on=timezone.localdate() + dt.timedelta(days=1),
        )
    lines, total, _f = progress(
        event, parts(event, town.approver), Region.objects.get(code="640104001")
    )
    assert total.given["quilt"] == 2 and total.given["food"] == 12
    assert total.households_helped == 1


def test_recording_is_refused_without_regions_outside_the_area_and_twice(town):
    with translation.override("en"), pytest.raises(ValidationError, match="at least one"):
        flood(town, regions=())
    # The other county's approver, and a township caseworker, may not record it.
    with pytest.raises(PermissionDenied):
        flood(town, user=town.other_approver)
    with pytest.raises(PermissionDenied):
        flood(town, user=town.caseworker)
    first = flood(town)
    # The same flood again for a village inside it: refused, naming the first.
    with pytest.raises(ValidationError) as refused:
        flood(town, regions=(A,))
    assert "兴庆区洪涝" in refused.value.messages[0]
    # A drought there, or a flood after the first one's response ended, is another event.
    disaster.do_record_event(
        acting_user=town.approver,
        name="旱灾",
        kind=DisasterEvent.Kind.DROUGHT,
        level=4,
        started_on=began(),
        regions=[Region.objects.get(code=A)],
    )
    DisasterEvent.objects.filter(pk=first.pk).update(ended_on=began())
    assert flood(town, started_on=began() + dt.timedelta(days=1)).pk != first.pk
    # A county chosen with its townships is the county once.
    event = flood(town, regions=("640105", "640105001"), user=town.other_approver)
    assert list(event.regions.values_list("region_id", flat=True)) == ["640105"]


def test_emergency_cases_are_opened_in_one_step_and_paid_first(town):
    event = flood(town)
    village = Region.objects.get(code=A)
    assert len(vulnerable_households(event, [village.prefix])) == 3
    # The household with a child already has temporary assistance open: left out.
    busy = do_create_case(
        acting_user=None,
        service="assistance.linshi",
        region=village,
        applicant=town.hh["child"].head,
        household=town.hh["child"],
    )
    opened, already, left = disaster.do_open_emergency_cases(
        event, village, acting_user=town.caseworker
    )
    assert (opened, already, left) == (2, 1, 0)
    links = DisasterCase.objects.filter(event=event).select_related("case", "case__assistance")
    assert {link.household_id for link in links} == {town.hh["elder"].pk, town.hh["disabled"].pk}
    for link in links:
        case, app = link.case, link.case.assistance
        assert case.service == "assistance.linshi"
        assert case.channel == Case.Channel.PROACTIVE and case.state == "submitted"
        assert app.emergency_type == AssistanceApplication.EmergencyType.EMERGENCY
        assert app.hardship_cause == AssistanceApplication.HardshipCause.DISASTER
        assert app.situation == event.name
    # Pressing again opens nothing twice.
    assert disaster.do_open_emergency_cases(event, village, acting_user=town.caseworker) == (
        0,
        3,
        0,
    )
    assert busy.pk not in {link.case_id for link in links}
    # Screening routes each to the township; the township pays first, on the ledger.
    case = links[0].case
    do_screen_and_route(case.pk)
    case = Case.objects.get(pk=case.pk)
    assert case.state == "screened" and case.office_id == town.township.pk
    do_transition(
        case,
        "pay_first",
        acting_user=town.caseworker,
        values={
            "findings": "房屋进水，老人独居。",
            "amount": "2000",
            "justification": "洪水冲毁房屋，先行救助。",
        },
    )
    assert Case.objects.get(pk=case.pk).state == "paid_first"
    assert Entitlement.objects.filter(case=case, kind=Entitlement.Kind.ONE_OFF).exists()


def test_the_village_list_pages_its_households_and_masks_numbers(town):
    event = flood(town)
    rows, following = vulnerable_page(event, [A], town.admin, size=2)
    assert [r.pk for r in rows] == sorted(
        [town.hh["elder"].pk, town.hh["child"].pk, town.hh["disabled"].pk]
    )[:2]
    assert following == rows[-1].pk
    rest, more = vulnerable_page(event, [A], town.admin, after=following, size=2)
    assert len(rest) == 1 and more is None
    # Only the vulnerable members are listed: the child, not the mother.
    child_row = next(r for r in rows + rest if r.pk == town.hh["child"].pk)
    assert [m.flags for m in child_row.members] == [["child"]]


# --------------------------------------------------------------------------- pages


def test_pages_for_the_county_the_township_and_outsiders(
    client, town, django_assert_max_num_queries
):
    event = flood(town, regions=("640104001", "640105001"), user=town.admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    base = f"/assistance/staff/disasters/{event.pk}/"
    sign_in(client, town.caseworker)
    assert "兴庆区洪涝" in client.get("/assistance/staff/disasters/").content.decode()
    page = client.get(base).content.decode()
    assert "Affected and vulnerable people" in page
    # The township sees its own villages, not the other county's.
    assert "崇安社区居委会" in page and "康庄社区居委会" not in page
    assert client.get(base, {"region": "640105001"}).status_code == 404
    assert client.get(base + f"places/{C}/").status_code == 404
    with django_assert_max_num_queries(20):
        place = client.get(base + f"places/{A}/")
    assert place.status_code == 200
    text = place.content.decode()
    assert "Vulnerable households of" in text
    elder = town.hh["elder"].head
    # Masked, and without the date of birth that would leave only its sequence to guess.
    assert elder.id_number[:6] + "*" * 11 + elder.id_number[-1] in text
    assert elder.birth_date.isoformat() not in text and "<td>85</td>" in text
    assert elder.id_number not in text and elder.id_number[-4:] not in text[: text.find(elder.name)]
    # A township caseworker may not record a disaster.
    assert client.get("/assistance/staff/disasters/new/").status_code == 403
    # The other county's approver sees the event, only its own part.
    sign_in(client, town.other_approver)
    page = client.get(base).content.decode()
    assert "康庄社区居委会" in page or "640105001" in page
    assert "崇安社区居委会" not in page
    assert client.get(base + f"places/{A}/").status_code == 404
    # A registrar (no casework role) gets 403; an event of nowhere near: 404.
    registrar = staff("registrar_disaster", "640104", StaffRole.Role.REGISTRAR)
    sign_in(client, registrar)
    assert client.get(base).status_code == 403
    other = flood(town, regions=("640105002",), user=town.other_approver)
    sign_in(client, town.caseworker)
    assert client.get(f"/assistance/staff/disasters/{other.pk}/").status_code == 404
    assert client.get(base + "places/640104001999/").status_code == 404
    assert client.get(base + "places/abc/").status_code == 404


def test_recording_on_the_page_and_its_bad_input(client, town):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    sign_in(client, town.approver)
    url = "/assistance/staff/disasters/new/"
    page = client.get(url).content.decode()
    assert 'value="640104001"' in page and 'value="640105001"' not in page
    data = {"name": "Flood", "kind": "flood", "level": "2", "started_on": began().isoformat()}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Choose at least one affected region." in response.content.decode()
    response = client.post(url, {**data, "regions": ["640105001"]})
    assert "A chosen region is not in your area" in response.content.decode()
    response = client.post(url, {**data, "started_on": "2099-01-01", "regions": ["640104001"]})
    assert "once it has happened" in response.content.decode()
    response = client.post(
        url, {**data, "level": "9", "started_on": "yesterday", "regions": ["640104001"]}
    )
    assert response.status_code == 400
    assert not DisasterEvent.objects.exists()
    response = client.post(url, {**data, "regions": ["640104001"]})
    event = DisasterEvent.objects.get()
    assert (
        response.status_code == 302 and response.url == f"/assistance/staff/disasters/{event.pk}/"
    )
    # The same flood again: said on the form, the first kept.
    response = client.post(url, {**data, "regions": ["640104001002"]})
    assert "is already recorded for" in response.content.decode()
    assert DisasterEvent.objects.count() == 1
    # Bad input to the tree's start: said, the page still shown.
    response = client.get(url, {"within": "640105"})
    assert response.status_code == 200 and "not in your area" in response.content.decode()


def test_relief_and_cases_through_the_page(client, town):
    event = flood(town)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    sign_in(client, town.caseworker)
    base = f"/assistance/staff/disasters/{event.pk}/places/{A}/"
    hh = town.hh["elder"]
    day = began().isoformat()
    response = client.post(
        base + "give/", {"household": hh.pk, "item": "tent", "quantity": "1", "given_on": day}
    )
    assert response.status_code == 302
    response = client.post(
        base + "give/",
        {"household": hh.pk, "item": "tent", "quantity": "1", "given_on": day},
        follow=True,
    )
    assert Relief.objects.filter(event=event).count() == 1
    assert "已" in response.content.decode()  # said in Chinese: already given
    # Bad numbers and another county's household: words, not 500; nothing saved.
    response = client.post(
        base + "give/",
        {"household": hh.pk, "item": "tent", "quantity": "x", "given_on": day},
        follow=True,
    )
    assert response.status_code == 200
    assert (
        client.post(
            base + "give/",
            {"household": town.hh["other"].pk, "item": "tent", "quantity": "1", "given_on": day},
        ).status_code
        == 404
    )
    assert Relief.objects.filter(event=event).count() == 1
    relief = Relief.objects.get(event=event)
    response = client.post(
        f"/assistance/staff/disasters/{event.pk}/relief/{relief.pk}/correct/",
        {"quantity": "2", "reason": "补发"},
    )
    assert response.status_code == 302
    relief.refresh_from_db()
    assert relief.quantity == 2
    response = client.post(base + "open-cases/", follow=True)
    assert response.status_code == 200
    assert DisasterCase.objects.filter(event=event).count() == 3
    # Another county's caseworker can do none of it.
    sign_in(client, town.other_caseworker)
    assert client.post(base + "open-cases/").status_code == 404
    assert (
        client.post(
            f"/assistance/staff/disasters/{event.pk}/relief/{relief.pk}/correct/",
            {"quantity": "3", "reason": "x"},
        ).status_code
        == 404
    )


def test_relief_given_is_on_the_assistance_dashboard(town):
    from civilaffairs.insight.actions import do_count_month
    from civilaffairs.insight.queries import DomainCounts
    from civilaffairs.insight.registry import get_figures

    event = flood(town)
    day = timezone.localdate()
    for key, item, quantity in (
        ("elder", "quilt", 1),
        ("child", "quilt", 2),
        ("child", "food", 24),
    ):
        disaster.do_give_relief(
            event,
            town.hh[key],
            place=A,
            acting_user=town.caseworker,
            item=item,
            quantity=Decimal(quantity),
            given_on=day,
        )
    do_count_month(day.replace(day=1))

    def counts(code):
        return DomainCounts(
            get_figures("assistance"), Region.objects.get(code=code), day.replace(day=1), 2
        )

    assert counts("640104").of("relief") == {"quilt": 2, "food": 1}
    assert counts("640104").amounts["relief"] == {"quilt": Decimal(3), "food": Decimal(24)}
    assert counts("640105").of("relief") == {}


def test_living_alone_is_read_at_the_place_of_residence(town):
    """A woman of 70 whose son is registered in her household but lives in another county
    lives alone; a couple of one household in two villages of the area each live alone."""
    make_household(person(A, 70, sex="F"), (person(C, 45), Membership.Relation.SON))
    make_household(person(A, 60), (person(B, 58, sex="F"), Membership.Relation.SPOUSE))
    event = flood(town)
    assert area(event, A).alone == 1 + 1 + 1
    assert area(event, B).alone == 1


def test_a_place_above_the_viewers_part_shows_only_their_part(client, town):
    """A flood over two counties: the township caseworker asking for the province's page of
    households sees their township's only, and cannot open cases for the province."""
    event = flood(town, regions=("640104001", "640105001"), user=town.admin)
    sign_in(client, town.caseworker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/assistance/staff/disasters/{event.pk}/places/640000/").content.decode()
    assert town.hh["elder"].head.name in page
    assert town.hh["other"].head.name not in page
    response = client.post(
        f"/assistance/staff/disasters/{event.pk}/places/640000/open-cases/", follow=True
    )
    assert "a township or a village at a time" in response.content.decode()
    assert not DisasterCase.objects.exists()
    with pytest.raises(ValidationError):
        disaster.do_open_emergency_cases(
            event, Region.objects.get(code="640104"), acting_user=town.caseworker
        )
    # At the township, only its own households, though the event covers two counties.
    opened, _already, _left = disaster.do_open_emergency_cases(
        event, Region.objects.get(code="640104001"), acting_user=town.caseworker
    )
    assert opened == 4  # A's three and B's household on dibao
    assert not DisasterCase.objects.filter(region_id__startswith="640105").exists()


def test_ending_the_response_lets_a_new_event_be_recorded(client, town):
    event = flood(town)
    with translation.override("en"), pytest.raises(ValidationError, match="has not ended"):
        flood(town, regions=(A,))
    with pytest.raises(PermissionDenied):
        disaster.do_end_event(event, acting_user=town.caseworker, ended_on=began())
    with pytest.raises(ValidationError):
        disaster.do_end_event(
            event, acting_user=town.approver, ended_on=began() - dt.timedelta(days=1)
        )
    sign_in(client, town.approver)
    response = client.post(
        f"/assistance/staff/disasters/{event.pk}/end/", {"ended_on": began().isoformat()}
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.ended_on == began()
    later = flood(town, regions=(A,), started_on=began() + dt.timedelta(days=1))
    # The earlier flood is listed as earlier on the later one's page, not the other way.
    page = client.get(f"/assistance/staff/disasters/{later.pk}/").content.decode()
    assert f"/assistance/staff/disasters/{event.pk}/" in page
    page = client.get(f"/assistance/staff/disasters/{event.pk}/").content.decode()
    assert f"/assistance/staff/disasters/{later.pk}/" not in page


def test_an_ancient_date_is_refused_in_words(client, town):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    sign_in(client, town.approver)
    response = client.post(
        "/assistance/staff/disasters/new/",
        {
            "name": "Flood",
            "kind": "flood",
            "level": "2",
            "started_on": "0050-01-01",
            "regions": ["640104001"],
        },
    )
    assert response.status_code == 400
    assert "Enter the day the disaster began." in response.content.decode()


def test_needs_are_rounded_at_each_place_so_levels_agree(town):
    """Tents at 0.05 a person (a county's own norm): 9 people in A need 1 (0.45), 2 in B
    need 1 (0.1); the township needs 2 on its own page and on its county's, the sum of its
    villages, not ceil(11 × 0.05) = 1."""
    do_set_parameter(
        acting_user=None,
        key="tent_l2",
        region=Region.objects.get(code="640104"),
        value=Decimal("0.05"),
        valid_from=dt.date(2020, 1, 1),
        program=Program.objects.get(code="disaster_relief"),
    )
    event = flood(town)
    township = Region.objects.get(code="640104001")
    villages, total, _f = progress(event, parts(event, town.approver), township)
    assert [line.needs["tent"] for line in villages] == [Decimal(1), Decimal(1)]
    county_lines, _t, _f = progress(
        event, parts(event, town.approver), Region.objects.get(code="640104")
    )
    assert county_lines[0].region == township
    assert county_lines[0].needs["tent"] == total.needs["tent"] == Decimal(2)


def test_a_household_is_helped_where_it_lives_not_where_it_is_registered(client, town):
    """A man of 85 whose household is registered in the other county (C) but who lives in
    village A: listed on A's page, given relief there (counted in A's progress), and his
    emergency case goes to the township where he lives."""
    moved = person(A, 85)
    Person.objects.filter(pk=moved.pk).update(hukou_region_id=C)
    household = make_household(moved)
    household.region_id = C
    household.save()
    event = flood(town)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    sign_in(client, town.caseworker)
    base = f"/assistance/staff/disasters/{event.pk}/places/{A}/"
    rows, _next = vulnerable_page(event, [A], town.caseworker)
    assert {r.pk: r.place for r in rows}[household.pk] == A
    assert moved.name in client.get(base).content.decode()
    day = began().isoformat()
    response = client.post(
        base + "give/",
        {"household": household.pk, "item": "quilt", "quantity": "1", "given_on": day},
    )
    assert response.status_code == 302
    relief = Relief.objects.get(event=event, household=household)
    assert relief.region_id == A
    _lines, total, _f = progress(
        event, parts(event, town.approver), Region.objects.get(code="640104001")
    )
    assert total.given["quilt"] == 1
    # Not at the registered place, which the flood did not reach.
    with (
        translation.override("en"),
        pytest.raises(ValidationError, match="does not live in the area"),
    ):
        disaster.do_give_relief(
            event,
            household,
            place=C,
            acting_user=town.caseworker,
            item="tent",
            quantity=Decimal(1),
            given_on=began(),
        )
    # The other county's caseworker (where it is registered) may not record it here, though
    # the flood reaches their township too (they read the event; A is not theirs).
    disaster.do_add_regions(
        event, [Region.objects.get(code="640105001")], acting_user=town.other_approver
    )
    sign_in(client, town.other_caseworker)
    assert client.get(f"/assistance/staff/disasters/{event.pk}/").status_code == 200
    for url in (base + "give/", f"/assistance/staff/disasters/{event.pk}/places/{C}/give/"):
        response = client.post(
            url, {"household": household.pk, "item": "tent", "quantity": "1", "given_on": day}
        )
        assert response.status_code == 404
    assert not Relief.objects.filter(event=event, household=household, item="tent").exists()
    disaster.do_open_emergency_cases(event, Region.objects.get(code=A), acting_user=town.caseworker)
    link = DisasterCase.objects.select_related("case").get(event=event, household=household)
    assert link.region_id == A and link.case.region_id == A
    do_screen_and_route(link.case.pk)
    assert Case.objects.get(pk=link.case.pk).office_id == town.township.pk


def test_the_assisted_mark_is_shown_only_to_who_may_read_those_cases(client, town):
    """A township worker whose grant stops at "internal" is not told which households are on
    低保: the household vulnerable for that reason alone is not listed for them (B's couple),
    and an emergency case above their level is not linked; a worker at "confidential" sees
    both."""
    event = flood(town)
    disaster.do_open_emergency_cases(
        event, Region.objects.get(code="640104001"), acting_user=town.caseworker
    )
    low = staff(
        "internal_worker",
        "640104001",
        StaffRole.Role.CASEWORKER,
    )
    StaffRole.objects.filter(user=low).update(max_confidentiality=Confidentiality.INTERNAL)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    base = f"/assistance/staff/disasters/{event.pk}/places/"
    dibao = town.hh["dibao"].head.name
    sign_in(client, town.caseworker)
    page = client.get(base + f"{B}/").content.decode()
    assert dibao in page and "on minimum living allowance" in page
    assert "Emergency case:" in page
    assert "is not shown to you" not in page
    sign_in(client, low)
    page = client.get(base + f"{B}/").content.decode()
    assert dibao not in page and "on minimum living allowance" not in page
    assert "is not shown to you" in page
    page = client.get(base + f"{A}/").content.decode()
    assert town.hh["elder"].head.name in page and "Emergency case:" not in page
    # No button that could only be refused: temporary-assistance cases are above them.
    assert "Open emergency temporary assistance" not in page
    # The figures agree with the list: B's couple is not among the vulnerable they are told
    # of, and the 低保 and emergency-case columns are not there.
    figures = client.get(f"/assistance/staff/disasters/{event.pk}/").content.decode()
    assert "On minimum living allowance" not in figures
    assert "Emergency cases opened" not in figures
    assert "are not shown to you" in figures
    lines, total, _f = progress(event, parts(event, low), Region.objects.get(code="640104001"))
    by = {line.region.code: line for line in lines}
    assert (by[B].counts["vulnerable"], by[B].counts["vulnerable_households"]) == (2, 1)
    assert (by[A].counts["vulnerable"], total.counts["assisted"]) == (4, 2)
    lines, total, _f = progress(
        event, parts(event, low), Region.objects.get(code="640104001"), confidential=False
    )
    by = {line.region.code: line for line in lines}
    assert by[B].counts["vulnerable"] == 0 and by[A].counts["vulnerable"] == 4
    assert total.counts["assisted"] is None and total.cases is None
    # A delivery to the hidden household: not theirs to correct (its id is easy to guess).
    relief = disaster.do_give_relief(
        event,
        town.hh["dibao"],
        place=B,
        acting_user=town.caseworker,
        item="quilt",
        quantity=Decimal(2),
        given_on=began(),
    )
    url = f"/assistance/staff/disasters/{event.pk}/relief/{relief.pk}/correct/"
    assert client.post(url, {"quantity": "3", "reason": "x"}).status_code == 404
    relief.refresh_from_db()
    assert relief.quantity == 2
    # The same rule in Chinese.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(base + f"{B}/").content.decode()
    assert dibao not in page and "不向您显示" in page


def test_a_low_case_of_another_county_marks_no_one_and_links_nothing(client, town):
    """What a township reads of another county stays there: a household living in B whose
    低保 case is in 西夏区 (where it is registered) is not marked "on 低保" for 凤凰北街街道,
    whose grant does not reach that case; a household with a man of 85 in A and a child in
    C shows 西夏区's caseworker neither the case 凤凰北街街道 opened for it nor A's relief."""
    moved = person(B, 45)
    Person.objects.filter(pk=moved.pk).update(hukou_region_id=C)
    house = make_household(moved)
    house.region_id = C
    house.save()
    case = do_create_case(
        acting_user=None,
        service="assistance.dibao",
        region=Region.objects.get(code=C),
        applicant=moved,
        household=house,
    )
    Case.objects.filter(pk=case.pk).update(state="approved", outcome=Case.Outcome.APPROVED)
    split = make_household(person(A, 85), (person(C, 10), Membership.Relation.GRANDCHILD))
    event = flood(town, regions=("640104001", "640105001"), user=town.admin)
    # Counted (a number), not shown by name to the township.
    assert area(event, B).assisted == 3

    def flags(user):
        rows, _next = vulnerable_page(event, [B], user)
        return [m.flags for r in rows if r.pk == house.pk for m in r.members]

    # He lives alone there (listed for that), on 低保 only for who may read the case.
    assert flags(town.caseworker) == [["alone"]]
    assert flags(town.admin) == [["alone", "assisted"]]
    disaster.do_open_emergency_cases(event, Region.objects.get(code=A), acting_user=town.caseworker)
    disaster.do_give_relief(
        event,
        split,
        place=A,
        acting_user=town.caseworker,
        item="quilt",
        quantity=Decimal(1),
        given_on=began(),
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    sign_in(client, town.other_caseworker)
    page = client.get(f"/assistance/staff/disasters/{event.pk}/places/{C}/").content.decode()
    assert f'value="{split.pk}"' in page  # the child in C: listed for 西夏区
    link = DisasterCase.objects.get(event=event, household=split)
    assert link.case.reference not in page and "Emergency case:" not in page
    assert "Relief given" not in page


def test_a_household_in_two_villages_is_placed_where_its_vulnerable_live(client, town):
    """A couple in A whose father of 85 lives in B: the household is B's (the father's), its
    case goes there, and A's page, where no one of it is vulnerable, neither lists it nor
    takes relief for it."""
    son = person(A, 40)
    house = make_household(
        son,
        (person(A, 38, sex="F"), Membership.Relation.SPOUSE),
        (person(B, 85), Membership.Relation.PARENT),
    )
    event = flood(town)
    assert dict(vulnerable_households(event, ["640104001"]))[house.pk] == B
    rows, _next = vulnerable_page(event, [A], town.caseworker)
    assert house.pk not in {r.pk for r in rows}
    sign_in(client, town.caseworker)
    base = f"/assistance/staff/disasters/{event.pk}/places/"
    data = {"household": house.pk, "item": "tent", "quantity": "1", "given_on": began()}
    assert client.post(base + f"{A}/give/", data).status_code == 404
    assert client.post(base + "640104001/give/", data).status_code == 302
    assert Relief.objects.get(event=event, household=house).region_id == B
    disaster.do_open_emergency_cases(
        event, Region.objects.get(code="640104001"), acting_user=town.caseworker
    )
    assert DisasterCase.objects.get(event=event, household=house).region_id == B


def test_places_the_disaster_reaches_later_are_added_and_counted(client, town):
    """The flood recorded for 凤凰北街街道 reaches a township of 西夏区: added by those who may
    record there, the whole event counted again; a county over its townships replaces them;
    nothing new, an ended response or another open flood there: refused in words."""
    event = flood(town)
    assert not DisasterArea.objects.filter(event=event, region_id=C).exists()
    # 兴庆区's approver may not add 西夏区's places; a caseworker may add none.
    with pytest.raises(PermissionDenied):
        disaster.do_add_regions(
            event, [Region.objects.get(code="640105001")], acting_user=town.approver
        )
    with pytest.raises(PermissionDenied):
        disaster.do_add_regions(
            event, [Region.objects.get(code="640105001")], acting_user=town.caseworker
        )
    disaster.do_add_regions(
        event, [Region.objects.get(code="640105001")], acting_user=town.other_approver
    )
    assert sorted(event.regions.values_list("region_id", flat=True)) == ["640104001", "640105001"]
    assert area(event, C).people == 1 and area(event, A).people == 9
    with translation.override("en"), pytest.raises(ValidationError, match="not yet among"):
        disaster.do_add_regions(event, [Region.objects.get(code=A)], acting_user=town.approver)
    disaster.do_add_regions(event, [Region.objects.get(code="640104")], acting_user=town.approver)
    assert sorted(event.regions.values_list("region_id", flat=True)) == ["640104", "640105001"]
    # Another flood already open in a place: named.
    other = flood(town, regions=("640105002",), user=town.other_approver)
    with pytest.raises(ValidationError) as refused:
        disaster.do_add_regions(
            event, [Region.objects.get(code="640105002")], acting_user=town.other_approver
        )
    assert other.name in refused.value.messages[0]
    # Through the page, in English: the tree marks what is already in; empty is said.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    sign_in(client, town.approver)
    url = f"/assistance/staff/disasters/{event.pk}/add-places/"
    assert (
        "Add affected places"
        in client.get(f"/assistance/staff/disasters/{event.pk}/").content.decode()
    )
    page = client.get(url).content.decode()
    assert 'value="640104001" id="r-640104001" checked disabled' in page
    response = client.post(url, {})
    assert response.status_code == 400
    assert "Choose at least one affected region." in response.content.decode()
    response = client.post(url, {"regions": ["640104001"]})
    assert response.status_code == 400
    assert "not yet among" in response.content.decode()
    # Ended: refused, in Chinese.
    DisasterEvent.objects.filter(pk=event.pk).update(ended_on=began())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    sign_in(client, town.other_approver)
    response = client.post(url, {"regions": ["640105002"]}, follow=True)
    assert response.redirect_chain[-1][0] == f"/assistance/staff/disasters/{event.pk}/"
    assert "已结束" in response.content.decode()
    assert sorted(event.regions.values_list("region_id", flat=True)) == ["640104", "640105001"]
    assert url not in page_text(client.get(f"/assistance/staff/disasters/{event.pk}/"))
    # A township caseworker reads the event but may not add to it.
    sign_in(client, town.caseworker)
    assert client.get(url).status_code == 403


def test_each_place_takes_the_norm_of_the_nearest_region_that_sets_it(town):
    """The province sets every norm, 兴庆区 its own tents, village A its own water: A takes
    its water and the county's tents, B the county's tents and the province's water, C (the
    other county) the province's."""
    from assistance.disaster_queries import norms

    program = Program.objects.get(code="disaster_relief")
    for code, key, value in (("640104", "tent_l2", "0.5"), (A, "water_l2", "100")):
        do_set_parameter(
            acting_user=None,
            key=key,
            region=Region.objects.get(code=code),
            value=Decimal(value),
            valid_from=dt.date(2020, 1, 1),
            program=program,
        )
    event = flood(town, regions=("640104001", "640105001"), user=town.admin)
    found = norms(event, [A, B, C])
    province = norms(event, ["640000"]).by_region["640000"]
    assert found.by_region[A]["water"] == 100 and found.by_region[A]["tent"] == Decimal("0.5")
    assert found.by_region[B]["tent"] == Decimal("0.5")
    assert found.by_region[B]["water"] == province["water"] != 100
    assert found.by_region[C] == province
    assert not found.missing
