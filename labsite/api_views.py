from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from labsite.dashboard import dashboard_for
from labsite.serializers import DashboardSerializer


class DashboardView(APIView):
    @extend_schema(responses={200: DashboardSerializer})
    def get(self, request):
        dashboard = dashboard_for(request.user)

        return Response(DashboardSerializer(dashboard).data)
