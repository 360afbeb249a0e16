from django.urls import path

from courses import api

urlpatterns = [
    path("modules", api.ModuleListView.as_view(), name="api-modules"),
    path("modules/<int:module_id>", api.ModuleDetailView.as_view(), name="api-module"),
    path("lessons/<int:theme_id>", api.LessonView.as_view(), name="api-lesson"),
    path(
        "lessons/<int:theme_id>/complete",
        api.CompleteLessonView.as_view(),
        name="api-lesson-complete",
    ),
]
