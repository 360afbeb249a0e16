"""Sandbox API. The views are async: LXD and SSH work runs in threads."""

from adrf.views import APIView
from asgiref.sync import sync_to_async
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from containers import services
from containers.selectors import get_container_for_user, sandbox_of
from containers.serializers import ContainerSerializer
from containers.workers import run_blocking


class CreateSandboxView(APIView):
    @extend_schema(request=None, responses={200: ContainerSerializer, 201: ContainerSerializer})
    async def post(self, request):
        container, created = await run_blocking(services.get_or_create_sandbox, owner=request.user)

        return Response(
            ContainerSerializer(container).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class SandboxView(APIView):
    @extend_schema(responses={200: ContainerSerializer})
    async def get(self, request):
        container = await sync_to_async(sandbox_of)(request.user)
        if container is None:
            raise exceptions.NotFound(
                _("You have no sandbox. Create one with POST /api/containers/create.")
            )

        return Response(ContainerSerializer(container).data)


class ContainerView(APIView):
    @extend_schema(responses={204: None})
    async def delete(self, request, container_id):
        container = await sync_to_async(get_container_for_user)(request.user, container_id)

        await run_blocking(services.delete_container, container)

        return Response(status=status.HTTP_204_NO_CONTENT)
