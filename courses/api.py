from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors, services
from courses.serializers import LessonSerializer, ModuleDetailSerializer, ModuleSerializer


class ModuleListView(APIView):
    @extend_schema(responses={200: ModuleSerializer(many=True)})
    def get(self, request):
        modules = selectors.modules_with_percent(request.user)

        return Response(ModuleSerializer(modules, many=True).data)


class ModuleDetailView(APIView):
    @extend_schema(responses={200: ModuleDetailSerializer})
    def get(self, request, module_id):
        module, done = selectors.module_with_progress(module_id, request.user)

        return Response(ModuleDetailSerializer(module, context={"done": done}).data)


class LessonView(APIView):
    @extend_schema(responses={200: LessonSerializer})
    def get(self, request, theme_id):
        """Return the lesson in the Accept-Language language when translated, else the original."""
        theme = selectors.get_lesson(theme_id)

        previous, following = selectors.neighbours(theme)
        theme.done = bool(selectors.done_theme_ids(request.user, [theme.pk]))
        theme.previous = previous[0] if previous else None
        theme.next = following[0] if following else None
        # LocaleMiddleware would otherwise set the interface language here.
        headers = {"Content-Language": theme.language}
        return Response(LessonSerializer(theme).data, headers=headers)


class CompleteLessonView(APIView):
    @extend_schema(request=None, responses={200: None})
    def post(self, request, theme_id):
        theme = selectors.get_theme(theme_id)

        progress = services.complete_theme(user=request.user, theme=theme)

        return Response(
            {"theme": theme.pk, "completed_at": progress.completed_at}, status=status.HTTP_200_OK
        )
