from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as accounts_views
from labsite import admin_views, views

admin.site.site_header = _("Labsite administration")
admin.site.site_title = _("Labsite")
# Adds the link to the platform statistics for admins.
admin.site.index_template = "admin/labsite/index.html"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("admin/statistics/", admin_views.statistics_page, name="admin-statistics"),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/", include("accounts.api_urls")),
    path("api/", include("containers.api_urls")),
    path("sandbox/", include("containers.urls")),
    path("lessons/", include("courses.urls")),
    path("labs/", include("labs.urls")),
    path("exams/", include("exams.urls")),
    path("api/", include("labs.api_urls")),
    path("api/", include("courses.api_urls")),
    path("api/", include("exams.api_urls")),
    path("api/admin/stats", admin_views.StatisticsView.as_view(), name="api-admin-stats"),
    path("api/", include("labsite.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Last: any other /api/ address gets a JSON 404.
    re_path(r"^api/", views.api_not_found),
]
