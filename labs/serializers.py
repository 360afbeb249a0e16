from rest_framework import serializers

from labs.models import Laboratory, LaboratoryAttempt, LaboratoryTask, LaboratoryTaskResult


class LabSerializer(serializers.ModelSerializer):
    """A lab with its title in the request's language, or the original when it has none."""

    title = serializers.CharField(source="translated_title", read_only=True)
    module = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Laboratory
        fields = ["id", "title", "slug", "module", "order"]


class TaskSerializer(serializers.ModelSerializer):
    """A task as students see it: never the check script or the solution."""

    title = serializers.CharField(source="translated_title", read_only=True)
    description_html = serializers.CharField(source="translated_description_html", read_only=True)

    class Meta:
        model = LaboratoryTask
        fields = ["id", "order", "title", "description_html", "points"]


class LabDetailSerializer(LabSerializer):
    description_html = serializers.CharField(source="translated_description_html", read_only=True)
    tasks = TaskSerializer(many=True)

    class Meta:
        model = Laboratory
        fields = ["id", "title", "slug", "module", "description_html", "tasks"]


class TaskResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = LaboratoryTaskResult
        fields = ["task", "passed", "feedback", "checked_at", "duration", "hint_used"]


class AttemptSerializer(serializers.ModelSerializer):
    results = TaskResultSerializer(many=True)
    container = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = LaboratoryAttempt
        fields = ["id", "lab", "container", "status", "started_at", "finished_at", "results"]


class CheckRequestSerializer(serializers.Serializer):
    task = serializers.IntegerField(required=False, help_text="Check only this task.")
