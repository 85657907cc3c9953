"""The administrator creates each department's client (django-oauth-toolkit's application,
client credentials) and its grant here, rotates a secret (shown once), and reads the call log
and its monthly report per client."""

import csv
import io
import secrets

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, Q
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import get_application_model

from civilaffairs.lib.masking import mask_id_number
from civilaffairs.lib.months import first_of_month, first_of_next_month
from civilaffairs.lib.params import get_month

from .actions import (
    do_apply_held_notice,
    do_match_notices,
    do_rotate_secret,
)
from .endpoints import ENDPOINTS
from .models import (
    EVENT_NEEDS,
    ApiCall,
    ApiGrant,
    ApiPurpose,
    Delivery,
    EventKind,
    InboundNotice,
    Subscription,
)
from .publishing import do_resend_deliveries
from .webhooks import address_allowed


class ApiPurposeInline(admin.TabularInline):
    model = ApiPurpose
    extra = 1


class ApiGrantForm(forms.ModelForm):
    endpoints = forms.MultipleChoiceField(
        label=_("endpoints"),
        choices=[(e.code, e.label) for e in ENDPOINTS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = ApiGrant
        fields = [
            "application",
            "department",
            "endpoints",
            "region",
            "max_confidentiality",
            "may_see_id_number",
            "per_minute",
            "per_day",
            "valid_from",
            "expires_at",
            "is_active",
        ]

    def clean_application(self):
        app = self.cleaned_data["application"]
        Application = get_application_model()
        if (
            app.authorization_grant_type != Application.GRANT_CLIENT_CREDENTIALS
            or app.client_type != Application.CLIENT_CONFIDENTIAL
        ):
            raise forms.ValidationError(
                _("A department's client must be confidential and use client credentials.")
            )
        return app

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("expires_at")
        if start and end and end <= start:
            self.add_error("expires_at", _("The grant must expire after it starts."))
        return data


@admin.register(ApiGrant)
class ApiGrantAdmin(admin.ModelAdmin):
    form = ApiGrantForm
    inlines = [ApiPurposeInline]
    list_display = (
        "department",
        "application",
        "region",
        "max_confidentiality",
        "expires_at",
        "is_active",
    )
    list_filter = ("is_active", "max_confidentiality")
    search_fields = ("department", "application__name", "application__client_id")
    raw_id_fields = ("region",)
    actions = ["rotate_secret"]

    @admin.action(description=_("Rotate the client secret (the new one is shown once)"))
    def rotate_secret(self, request, queryset):
        for grant in queryset.select_related("application"):
            secret = do_rotate_secret(grant.application, acting_user=request.user)
            self.message_user(
                request,
                gettext("New secret of %(client)s (client id %(id)s), shown only now: %(secret)s")
                % {"client": grant.department, "id": grant.application.client_id, "secret": secret},
                messages.WARNING,
            )


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    list_display = ("at", "department", "endpoint", "purpose", "status", "error_code")
    list_filter = ("department", "endpoint", "status")
    date_hierarchy = "at"
    search_fields = ("reference",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "report/", self.admin_site.admin_view(self.report), name="exchange_apicall_report"
            ),
            *super().get_urls(),
        ]

    def report(self, request):
        """Calls per client in one month: answered, refused, people looked up; as a page or
        CSV (?format=csv)."""
        month = get_month(request, "month", default=first_of_month(timezone.localdate()))
        following = first_of_next_month(month)
        rows = list(
            ApiCall.objects.filter(at__date__gte=month, at__date__lt=following)
            .values("department", "endpoint")
            .annotate(
                calls=Count("id"),
                answered=Count("id", filter=Q(status__lt=300)),
                refused=Count("id", filter=Q(status__gte=400)),
            )
            .order_by("department", "endpoint")
        )
        if request.GET.get("format") == "csv":
            out = io.StringIO()
            out.write("\ufeff")
            writer = csv.writer(out)
            writer.writerow(
                [
                    gettext("department"),
                    gettext("endpoint"),
                    gettext("calls"),
                    gettext("calls answered"),
                    gettext("calls refused"),
                ]
            )
            for r in rows:
                writer.writerow(
                    [r["department"], r["endpoint"], r["calls"], r["answered"], r["refused"]]
                )
            response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="api-calls-{month:%Y-%m}.csv"'
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("API calls per client, %(month)s") % {"month": f"{month:%Y-%m}"},
            "rows": rows,
            "month": f"{month:%Y-%m}",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/exchange/report.html", context)


@admin.register(InboundNotice)
class InboundNoticeAdmin(admin.ModelAdmin):
    list_display = ("received_at", "department", "kind", "event_id", "masked_id", "name", "status")
    list_filter = ("status", "kind", "department")
    search_fields = ("event_id",)
    fields = (
        "received_at",
        "department",
        "kind",
        "event_id",
        "masked_id",
        "name",
        "occurred_on",
        "status",
        "person",
        "note",
        "applied_at",
    )
    readonly_fields = fields
    actions = ["match_again", "apply_held"]

    @admin.display(description=_("ID number"))
    def masked_id(self, notice):
        return mask_id_number(notice.id_number)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Look again for the people of unmatched notices"))
    def match_again(self, request, queryset):
        found = do_match_notices(acting_user=request.user)
        self.message_user(request, gettext("%(n)d notices found their person.") % {"n": found})

    @admin.action(description=_("Apply held notices (the person was checked)"))
    def apply_held(self, request, queryset):
        for notice in queryset.filter(status=InboundNotice.Status.HELD):
            do_apply_held_notice(notice, acting_user=request.user)
        self.message_user(request, gettext("Held notices applied."))


def _https_by_default(db_field, **kwargs):
    """An address typed without a scheme is taken as https (Django 6's default, asked for now
    so a delivery never goes out in clear text by accident)."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class SubscriptionForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(
        label=_("events"),
        choices=EventKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Subscription
        fields = ["grant", "url", "kinds", "is_active"]
        formfield_callback = _https_by_default

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not address_allowed(url):
            raise forms.ValidationError(
                _("Give an http or https address outside this portal's own network.")
            )
        return url

    def clean(self):
        data = super().clean()
        grant, kinds = data.get("grant"), data.get("kinds") or []
        if grant is not None:
            missing = [k for k in kinds if EVENT_NEEDS[k] not in grant.endpoints]
            if missing:
                self.add_error(
                    "kinds",
                    _("The grant does not allow reading what these events tell: %(kinds)s")
                    % {"kinds": ", ".join(missing)},
                )
        return data


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("grant", "url", "is_active", "created_at")
    list_filter = ("is_active",)
    actions = ["new_signing_secret"]

    def save_model(self, request, obj, form, change):
        fresh = not obj.signing_secret
        if fresh:
            obj.signing_secret = secrets.token_urlsafe(40)
        super().save_model(request, obj, form, change)
        if fresh:
            self._show_secret(request, obj)

    def _show_secret(self, request, sub):
        self.message_user(
            request,
            gettext("Signing secret of %(sub)s, shown only now: %(secret)s")
            % {"sub": sub, "secret": sub.signing_secret},
            messages.WARNING,
        )

    @admin.action(description=_("New signing secret (shown once)"))
    def new_signing_secret(self, request, queryset):
        for sub in queryset:
            sub.signing_secret = secrets.token_urlsafe(40)
            sub.save(update_fields=["signing_secret"])
            self._show_secret(request, sub)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "subscription",
        "kind",
        "status",
        "attempts",
        "last_status",
        "last_error",
    )
    list_filter = ("status", "kind")
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Send again"))
    def send_again(self, request, queryset):
        ids = do_resend_deliveries(queryset, acting_user=request.user)
        self.message_user(request, gettext("%(n)d deliveries queued.") % {"n": len(ids)})
