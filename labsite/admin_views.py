"""Platform statistics for admins: the admin page and GET /api/admin/stats."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import IsPlatformAdmin
from containers.models import Kind
from exams.models import AttemptStatus
from labsite.stats import platform_statistics


def _statistics_page(request):
    if not request.user.is_admin:
        raise PermissionDenied

    statistics = platform_statistics()

    count_tables = [
        (
            _("Active users by role"),
            [
                *_labelled(Role, statistics.active_users_by_role),
                (_("Deactivated users"), statistics.inactive_users),
            ],
        ),
        (_("Live containers by kind"), _labelled(Kind, statistics.live_containers_by_kind)),
        (
            _("Exam attempts by status"),
            [
                *_labelled(AttemptStatus, statistics.exam_attempts_by_status),
                (_("All exam attempts"), statistics.exam_attempts),
            ],
        ),
        (_("Labs"), [(_("Completed lab attempts"), statistics.lab_attempts_completed)]),
    ]
    context = {
        **admin.site.each_context(request),
        "title": _("Platform statistics"),
        "count_tables": count_tables,
        "exams": statistics.exams,
    }
    return TemplateResponse(request, "admin/labsite/statistics.html", context)


# admin_view sends anyone who is not staff to the admin login. The view itself
# then rejects staff who are not admins, such as instructors.
statistics_page = admin.site.admin_view(_statistics_page)


def _labelled(choices, counts):
    """Return (translated label, count) pairs in the order of the choices."""
    return [(label, counts[value]) for value, label in choices.choices]


class ExamStatisticsSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="exam.id")
    title = serializers.CharField(source="exam.title")
    slug = serializers.CharField(source="exam.slug")
    attempts = serializers.IntegerField()
    graded = serializers.IntegerField()
    passed = serializers.IntegerField()
    pass_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="Percent of the graded attempts that passed; null without graded attempts.",
    )
    average_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="Average percent score of the graded attempts; null without graded attempts.",
    )


class StatisticsSerializer(serializers.Serializer):
    active_users_by_role = serializers.DictField(child=serializers.IntegerField())
    inactive_users = serializers.IntegerField()
    live_containers_by_kind = serializers.DictField(child=serializers.IntegerField())
    exam_attempts = serializers.IntegerField()
    exam_attempts_by_status = serializers.DictField(child=serializers.IntegerField())
    exams = ExamStatisticsSerializer(many=True)
    lab_attempts_completed = serializers.IntegerField()


class StatisticsView(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(responses={200: StatisticsSerializer})
    def get(self, request):
        return Response(StatisticsSerializer(platform_statistics()).data)
