"""Output serializers of GET /api/dashboard, one per part of labsite.dashboard.Dashboard."""

from rest_framework import serializers

from containers.models import Status as ContainerStatus
from exams.models import AttemptStatus as ExamStatus
from labsite.dashboard import ACTIVITY_KINDS

# Plain strings, not enums: drf-spectacular names an enum after its field, and
# one more "status" field with these choices makes the names collide, which
# the schema generation reports as a warning.
EXAM_STATUSES = ", ".join(ExamStatus.values)
CONTAINER_STATUSES = ", ".join(ContainerStatus.values)
LAB_URL_HELP = "Path of the lab's page; null once the lab is deactivated."


class DashboardModuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    done = serializers.IntegerField(help_text="Lessons of the module the student marked done.")
    total = serializers.IntegerField(help_text="Lessons in the module.")
    percent = serializers.IntegerField()
    url = serializers.CharField(help_text="Path of the module's page.")


class DashboardLabInProgressSerializer(serializers.Serializer):
    attempt_id = serializers.IntegerField()
    lab_id = serializers.IntegerField()
    title = serializers.CharField()
    started_at = serializers.DateTimeField()
    tasks_passed = serializers.IntegerField()
    tasks_total = serializers.IntegerField()
    url = serializers.CharField(allow_null=True, help_text=LAB_URL_HELP)


class DashboardCompletedLabSerializer(serializers.Serializer):
    lab_id = serializers.IntegerField()
    title = serializers.CharField()
    completed_at = serializers.DateTimeField(
        help_text="When the latest completed attempt finished."
    )
    url = serializers.CharField(allow_null=True, help_text=LAB_URL_HELP)


class DashboardExamSerializer(serializers.Serializer):
    attempt_id = serializers.IntegerField()
    exam_id = serializers.IntegerField()
    exam_title = serializers.CharField()
    status = serializers.CharField(help_text=f"One of: {EXAM_STATUSES}.")
    status_label = serializers.CharField(help_text="The status in the request's language.")
    started_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    graded_at = serializers.DateTimeField(allow_null=True)
    score = serializers.IntegerField(allow_null=True, help_text="Null until graded.")
    max_score = serializers.IntegerField(allow_null=True, help_text="Null until graded.")
    percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    passed = serializers.BooleanField(allow_null=True, help_text="Null until graded.")
    results_url = serializers.CharField(
        allow_null=True, help_text="Path of the results page; null while the attempt runs."
    )


class DashboardSandboxSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text=f"One of: {CONTAINER_STATUSES}.")
    status_label = serializers.CharField(help_text="The status in the request's language.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(help_text="Path of the sandbox page.")


class DashboardActivitySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ACTIVITY_KINDS)
    at = serializers.DateTimeField()
    title = serializers.CharField(help_text="The lesson, the lab task or the exam.")
    parent_title = serializers.CharField(
        allow_blank=True, help_text="The lesson's module or the task's lab; empty for an exam."
    )
    url = serializers.CharField(allow_null=True)


class DashboardSerializer(serializers.Serializer):
    modules = DashboardModuleSerializer(many=True)
    labs_in_progress = DashboardLabInProgressSerializer(many=True)
    labs_completed = DashboardCompletedLabSerializer(many=True)
    exams = DashboardExamSerializer(many=True, help_text="Every exam attempt, newest first.")
    sandbox = DashboardSandboxSerializer(allow_null=True)
    activity = DashboardActivitySerializer(
        many=True, help_text="The newest lessons done, lab tasks passed and exams submitted."
    )
