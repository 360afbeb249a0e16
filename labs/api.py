"""Labs API. Views that start or check labs are async: LXD and SSH work runs in threads."""

from adrf.views import APIView as AsyncAPIView
from asgiref.sync import sync_to_async
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from containers import checks
from containers.workers import run_blocking
from labs import selectors, services
from labs.serializers import (
    AttemptSerializer,
    CheckRequestSerializer,
    LabDetailSerializer,
    LabSerializer,
)


def _attempt_data(user, attempt_id):
    return AttemptSerializer(selectors.get_attempt_for_user(user, attempt_id)).data


class LabListView(APIView):
    @extend_schema(responses={200: LabSerializer(many=True)})
    def get(self, request):
        return Response(LabSerializer(selectors.active_labs(), many=True).data)


class LabDetailView(APIView):
    @extend_schema(responses={200: LabDetailSerializer})
    def get(self, request, lab_id):
        return Response(LabDetailSerializer(selectors.get_active_lab(lab_id)).data)


class StartLabView(AsyncAPIView):
    @extend_schema(request=None, responses={201: AttemptSerializer})
    async def post(self, request, lab_id):
        lab = await sync_to_async(selectors.get_active_lab)(lab_id)

        attempt = await run_blocking(services.start_lab, user=request.user, lab=lab)

        data = await sync_to_async(_attempt_data)(request.user, attempt.pk)
        return Response(data, status=status.HTTP_201_CREATED)


class CheckAttemptView(AsyncAPIView):
    @extend_schema(request=CheckRequestSerializer, responses={200: AttemptSerializer})
    async def post(self, request, attempt_id):
        attempt = await sync_to_async(selectors.get_attempt_for_user)(request.user, attempt_id)
        serializer = CheckRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        tasks = None
        if "task" in serializer.validated_data:
            tasks = [
                t for t in attempt.lab.tasks.all() if t.pk == serializer.validated_data["task"]
            ]
            if not tasks:
                raise exceptions.ValidationError({"task": [_("This lab has no such task.")]})
        language = checks.check_language(attempt.user, requester=request.user)
        await run_blocking(services.check_tasks, attempt=attempt, tasks=tasks, language=language)

        return Response(await sync_to_async(_attempt_data)(request.user, attempt.pk))


class AttemptView(APIView):
    @extend_schema(responses={200: AttemptSerializer})
    def get(self, request, attempt_id):
        return Response(_attempt_data(request.user, attempt_id))
