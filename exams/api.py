"""Exams API. Starting and submitting are async views: LXD and SSH work runs in threads."""

from adrf.views import APIView as AsyncAPIView
from asgiref.sync import sync_to_async
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from containers import checks
from containers.workers import run_blocking
from exams import selectors, services
from exams.models import AttemptStatus, ExamAttempt
from exams.serializers import (
    ExamAttemptSerializer,
    ExamDetailSerializer,
    ExamResultsSerializer,
    ExamSerializer,
)
from labsite.api import error_body


class ExamListView(APIView):
    @extend_schema(responses={200: ExamSerializer(many=True)})
    def get(self, request):
        return Response(ExamSerializer(selectors.active_exams_for(request.user), many=True).data)


class ExamDetailView(APIView):
    @extend_schema(responses={200: ExamDetailSerializer})
    def get(self, request, exam_id):
        exam = selectors.get_active_exam(request.user, exam_id)
        context = {"tasks": selectors.visible_tasks(exam)}
        return Response(ExamDetailSerializer(exam, context=context).data)


def _attempt_in_progress_response(attempt):
    body = error_body(
        _("You have an attempt at this exam in progress. Continue it instead."),
        "attempt_in_progress",
    )
    body["attempt"] = ExamAttemptSerializer(attempt).data
    return Response(body, status=status.HTTP_409_CONFLICT)


class StartExamView(AsyncAPIView):
    @extend_schema(request=None, responses={201: ExamAttemptSerializer})
    async def post(self, request, exam_id):
        exam = await sync_to_async(selectors.get_active_exam)(request.user, exam_id)
        try:
            attempt = await run_blocking(services.start_exam, user=request.user, exam=exam)
        except services.AttemptRunning as running:
            return await sync_to_async(_attempt_in_progress_response)(running.attempt)
        except services.ExamUnavailable as refusal:
            raise exceptions.PermissionDenied(refusal.message, refusal.code) from refusal
        data = await sync_to_async(lambda: ExamAttemptSerializer(attempt).data)()
        return Response(data, status=status.HTTP_201_CREATED)


def _attempt_to_submit(user, exam_id):
    """Return the user's attempt in progress at the exam, else their newest one."""
    exam = selectors.get_active_exam(user, exam_id)
    attempt = ExamAttempt.objects.filter(user=user, exam=exam).order_by("-started_at").first()
    if attempt is None:
        raise exceptions.NotFound(
            _("You have no attempt at this exam to submit. Start the exam first."),
            "no_attempt",
        )
    return attempt


def _results_response(user, attempt_id):
    attempt = selectors.get_attempt_for_user(user, attempt_id)
    graded = attempt.status == AttemptStatus.GRADED
    return Response(
        ExamResultsSerializer(attempt).data,
        status=status.HTTP_200_OK if graded else status.HTTP_202_ACCEPTED,
    )


class SubmitExamView(AsyncAPIView):
    @extend_schema(
        request=None,
        responses={200: ExamResultsSerializer, 202: ExamResultsSerializer},
        description=(
            "Grades the caller's attempt in progress and returns its results (200). A "
            "submitted attempt is not graded again: its results are returned. 202 means the "
            "grading failed or is still running; the platform retries and the results "
            "endpoint shows them later."
        ),
    )
    async def post(self, request, exam_id):
        attempt = await sync_to_async(_attempt_to_submit)(request.user, exam_id)
        if attempt.status != AttemptStatus.GRADED:
            # _attempt_to_submit returns only the requester's own attempts.
            language = checks.check_language(request.user, requester=request.user)
            await run_blocking(services.submit_attempt, attempt=attempt, language=language)
        return await sync_to_async(_results_response)(request.user, attempt.pk)


class AttemptResultsView(APIView):
    @extend_schema(responses={200: ExamResultsSerializer, 202: ExamResultsSerializer})
    def get(self, request, attempt_id):
        return _results_response(request.user, attempt_id)
