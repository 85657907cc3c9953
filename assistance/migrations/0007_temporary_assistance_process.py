"""临时救助 has a process of its own (issue #16, item 5): no public notice, the amount set by
the township within a range and approved by the township or the county, pay first in an
emergency. Existing temporary-assistance cases in a state the new process does not have are
moved to where it goes on, each with a timeline entry saying why."""

import datetime as dt

from django.db import migrations
from django.utils import timezone

# old state -> (new state, what the timeline says in each language of the site)
AMOUNT_TO_SET = {
    "zh-hans": "临时救助改为单独流程（无需公示）：请经办人确定救助金额并说明理由。",
    "en": "Temporary assistance now has a process of its own (no public notice): the "
    "caseworker sets the amount and says why.",
}
TO_APPROVAL = {
    "zh-hans": "临时救助改为单独流程：案件转入金额审批。",
    "en": "Temporary assistance now has a process of its own: the amount awaits approval.",
}
DONE = {
    "zh-hans": "临时救助改为单独流程：一次性救助已批准发放，案件办结。",
    "en": "Temporary assistance now has a process of its own: the one-off help was approved and "
    "paid; the case is closed.",
}
MOVES = {
    "investigated": ("accepted", AMOUNT_TO_SET),
    "objection": ("accepted", AMOUNT_TO_SET),
    "notice": ("accepted", AMOUNT_TO_SET),
    "county_review": ("approval", TO_APPROVAL),
    "approved": ("granted", DONE),
    "review": ("granted", DONE),
    "suspended": ("granted", DONE),
}


def forward(apps, schema_editor):
    Case = apps.get_model("casework", "Case")
    CaseEvent = apps.get_model("casework", "CaseEvent")
    Application = apps.get_model("assistance", "AssistanceApplication")
    now = timezone.now()
    today = timezone.localdate(now)
    for case in Case.objects.filter(service="assistance.linshi", state__in=list(MOVES)):
        target, texts = MOVES[case.state]
        CaseEvent.objects.create(
            case=case,
            kind="transition",
            transition="migrated",
            from_state=case.state,
            to_state=target,
            message=texts["zh-hans"],
            translations=texts,
            public=True,
            data={"migrated": True},
        )
        fields = ["state"]
        if target == "granted":  # a one-off grant: decided and paid, the case is done
            case.closed_at = now
            case.outcome = "approved"
            try:
                case.archive_on = today.replace(year=today.year + 10)
            except ValueError:  # 29 February
                case.archive_on = dt.date(today.year + 10, 2, 28)
            case.due_at = None
            fields += ["closed_at", "outcome", "archive_on", "due_at"]
        case.state = target
        case.save(update_fields=fields)
    # No temporary-assistance application is on public notice any more.
    Application.objects.filter(kind="linshi", notice_start__isnull=False).exclude(
        case__state="granted"
    ).update(notice_start=None, notice_end=None)
    Application.objects.filter(kind="linshi").update(next_review_on=None)


class Migration(migrations.Migration):
    dependencies = [
        ("assistance", "0006_reviews_and_temporary_assistance"),
        ("casework", "0008_event_translations"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
