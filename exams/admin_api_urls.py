from django.urls import path

from exams import admin_api

urlpatterns = [
    path("admin/exams", admin_api.AdminExamsView.as_view(), name="api-admin-exams"),
]
