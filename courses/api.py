from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors, services
from courses.serializers import LessonSerializer, ModuleDetailSerializer, ModuleSerializer


class ModuleListView(APIView):
    @extend_schema(responses={200: ModuleSerializer(many=True)})
    def get(self, request):
        modules = list(selectors.modules_with_progress(request.user))
        for module in modules:
            module.percent = selectors.percent(module.done_count, module.theme_count)

        return Response(ModuleSerializer(modules, many=True).data)


class ModuleDetailView(APIView):
    @extend_schema(responses={200: ModuleDetailSerializer})
    def get(self, request, module_id):
        module = selectors.module_detail(module_id)

        theme_ids = [
            theme.pk for section in module.sections.all() for theme in section.themes.all()
        ]
        done = selectors.done_theme_ids(request.user, theme_ids)
        module.percent = selectors.percent(len(done), len(theme_ids))
        return Response(ModuleDetailSerializer(module, context={"done": done}).data)


class LessonView(APIView):
    @extend_schema(responses={200: LessonSerializer})
    def get(self, request, theme_id):
        theme = selectors.get_theme(theme_id)

        previous, following = selectors.neighbours(theme)
        theme.done = bool(selectors.done_theme_ids(request.user, [theme.pk]))
        theme.previous = previous[0] if previous else None
        theme.next = following[0] if following else None
        return Response(LessonSerializer(theme).data)


class CompleteLessonView(APIView):
    @extend_schema(request=None, responses={200: None})
    def post(self, request, theme_id):
        theme = selectors.get_theme(theme_id)

        progress = services.complete_theme(user=request.user, theme=theme)

        return Response(
            {"theme": theme.pk, "completed_at": progress.completed_at}, status=status.HTTP_200_OK
        )
