from django.urls import include, path

from exams import api

urlpatterns = [
    path("", include("exams.admin_api_urls")),
    path("exams", api.ExamListView.as_view(), name="api-exams"),
    path("exams/<int:exam_id>", api.ExamDetailView.as_view(), name="api-exam"),
    path("exams/<int:exam_id>/start", api.StartExamView.as_view(), name="api-exam-start"),
    path("exams/<int:exam_id>/submit", api.SubmitExamView.as_view(), name="api-exam-submit"),
    path(
        "exams/attempts/<int:attempt_id>/results",
        api.AttemptResultsView.as_view(),
        name="api-exam-results",
    ),
]
