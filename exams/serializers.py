"""Exam serializers. None of them has a check script or a solution script."""

from rest_framework import serializers

from exams.models import Exam, ExamAttempt, ExamTask, ExamTaskResult


class ExamSerializer(serializers.ModelSerializer):
    """An exam with its title in the request's language, or the original when it has none."""

    title = serializers.CharField(source="translated_title", read_only=True)
    attempts_used = serializers.IntegerField(read_only=True)
    attempts_left = serializers.SerializerMethodField()
    is_open = serializers.SerializerMethodField()

    class Meta:
        model = Exam
        fields = [
            "id",
            "title",
            "slug",
            "duration_minutes",
            "passing_score",
            "max_attempts",
            "available_from",
            "available_until",
            "is_open",
            "attempts_used",
            "attempts_left",
        ]

    def get_attempts_left(self, exam) -> int:
        return max(0, exam.max_attempts - exam.attempts_used)

    def get_is_open(self, exam) -> bool:
        return exam.is_open()


class ExamTaskSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="translated_title", read_only=True)
    description_html = serializers.CharField(source="translated_description_html", read_only=True)

    class Meta:
        model = ExamTask
        fields = ["id", "order", "title", "description_html", "points"]


class ExamDetailSerializer(ExamSerializer):
    description_html = serializers.CharField(source="translated_description_html", read_only=True)
    tasks = serializers.SerializerMethodField()

    class Meta(ExamSerializer.Meta):
        fields = [*ExamSerializer.Meta.fields, "description_html", "tasks"]

    def get_tasks(self, exam) -> list[dict]:
        # Filled in by the view: empty until the exam's window opens.
        return ExamTaskSerializer(self.context["tasks"], many=True).data


class ExamAttemptSerializer(serializers.ModelSerializer):
    container = serializers.PrimaryKeyRelatedField(read_only=True)
    seconds_left = serializers.SerializerMethodField()

    class Meta:
        model = ExamAttempt
        fields = [
            "id",
            "exam",
            "container",
            "status",
            "started_at",
            "deadline",
            "seconds_left",
            "submitted_at",
            "auto_submitted",
            "graded_at",
            "score",
            "max_score",
            "percent",
            "passed",
        ]

    def get_seconds_left(self, attempt) -> int:
        return attempt.seconds_left() if attempt.is_in_progress else 0


class ExamTaskResultSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="task.translated_title")
    max_points = serializers.IntegerField(source="task.points")

    class Meta:
        model = ExamTaskResult
        fields = ["task", "title", "passed", "points_awarded", "max_points", "feedback"]


class ExamResultsSerializer(ExamAttemptSerializer):
    tasks = serializers.SerializerMethodField()

    class Meta(ExamAttemptSerializer.Meta):
        fields = [*ExamAttemptSerializer.Meta.fields, "tasks"]

    def get_tasks(self, attempt) -> list[dict]:
        return ExamTaskResultSerializer(attempt.current_results(), many=True).data
