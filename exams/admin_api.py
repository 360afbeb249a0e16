"""Admin exams API: exams with their check and solution scripts, for platform admins only."""

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from accounts.permissions import IsPlatformAdmin
from exams.models import Exam, ExamTask
from labs.translations import translated_names


class AdminExamTaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExamTask
        fields = [
            "id",
            "order",
            "title",
            *translated_names("title"),
            "description",
            *translated_names("description"),
            "points",
            "check_script",
            "solution_script",
        ]
        # Tasks are numbered 1, 2, 3... in the order the request lists them.
        read_only_fields = ["id", "order"]


class AdminExamSerializer(serializers.ModelSerializer):
    tasks = AdminExamTaskSerializer(many=True, allow_empty=False)

    class Meta:
        model = Exam
        fields = [
            "id",
            "title",
            *translated_names("title"),
            "slug",
            "description",
            *translated_names("description"),
            "duration_minutes",
            "passing_score",
            "max_attempts",
            "is_active",
            "available_from",
            "available_until",
            "image",
            "setup_script",
            "tasks",
        ]

    def validate(self, data):
        start, end = data.get("available_from"), data.get("available_until")
        if start is not None and end is not None and end <= start:
            raise serializers.ValidationError(
                {"available_until": [_("The window must end after it starts.")]},
                code="window_ends_before_start",
            )
        return data

    @transaction.atomic
    def create(self, validated_data):
        tasks = validated_data.pop("tasks")
        exam = Exam.objects.create(**validated_data)
        # One save per task, not bulk_create: save() renders the description.
        for order, fields in enumerate(tasks, start=1):
            ExamTask.objects.create(exam=exam, order=order, **fields)
        return exam


class AdminExamsView(generics.GenericAPIView):
    permission_classes = [IsPlatformAdmin]
    serializer_class = AdminExamSerializer

    @extend_schema(responses={200: AdminExamSerializer(many=True)})
    def get(self, request):
        exams = Exam.objects.prefetch_related("tasks").order_by("title", "id")
        page = self.paginate_queryset(exams)

        return self.get_paginated_response(AdminExamSerializer(page, many=True).data)

    @extend_schema(
        request=AdminExamSerializer,
        responses={201: AdminExamSerializer},
        description=(
            "Creates an exam with its tasks in one transaction: when any part is invalid, "
            "nothing is stored."
        ),
    )
    def post(self, request):
        serializer = AdminExamSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        exam = serializer.save()

        return Response(AdminExamSerializer(exam).data, status=status.HTTP_201_CREATED)
