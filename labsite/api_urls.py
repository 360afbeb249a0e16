from django.urls import path

from labsite import api_views

urlpatterns = [
    path("dashboard", api_views.DashboardView.as_view(), name="api-dashboard"),
]
