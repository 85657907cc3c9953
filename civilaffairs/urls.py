from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from civilaffairs.casework import urls as casework_urls
from civilaffairs.casework.registry import domain_urlconfs
from civilaffairs.exchange import pages as exchange_pages
from civilaffairs.portal import views as portal_views

admin.site.site_header = _("Civil Affairs Portal administration")
admin.site.site_title = _("Civil Affairs Portal")
admin.site.index_title = _("Configuration")

urlpatterns = [
    path("", include("civilaffairs.portal.urls")),
    path("accounts/", include("civilaffairs.accounts.urls")),
    path("my/data-uses/", exchange_pages.my_data_uses, name="my-data-uses"),
    path("my/", include(casework_urls.citizen)),
    path("staff/cases/", include(casework_urls.staff)),
    path("staff/payments/", include("civilaffairs.benefits.urls")),
    path("staff/imports/", include("civilaffairs.imports.urls")),
    path("staff/figures/", include("civilaffairs.insight.urls")),
    path("staff/", include("civilaffairs.staff_urls")),
    # The domains, each under the URLconf it registered (casework.registry.register_domain).
    *(path(prefix, include(urlconf)) for prefix, urlconf in domain_urlconfs()),
    # The inter-agency API and the data standard it speaks (civilaffairs/exchange).
    path("api/v1/", include("civilaffairs.exchange.api_urls")),
    path("standards/", exchange_pages.standards, name="standards"),
    path("standards/catalogue.json", exchange_pages.standards_json, name="standards-json"),
    path("standards/catalogue.csv", exchange_pages.standards_csv, name="standards-csv"),
    path("i18n/setlang/", portal_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
]

# A database lost outside a view (while saving the session, say) answers 503, not 500.
handler500 = "civilaffairs.lib.unavailable.server_error"

if settings.BENCH_ENDPOINTS:
    from civilaffairs.portal.views import bench_bare

    urlpatterns.append(path("bench/bare/", bench_bare))
