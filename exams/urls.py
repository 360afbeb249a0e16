from django.urls import path

from exams import views

app_name = "exams"

urlpatterns = [
    path("", views.exam_list, name="list"),
    path("attempts/<int:attempt_id>/", views.attempt_page, name="attempt"),
    path("attempts/<int:attempt_id>/submit/", views.submit_exam, name="submit"),
    path("attempts/<int:attempt_id>/results/", views.attempt_results, name="results"),
    path("<slug:slug>/", views.exam_detail, name="detail"),
    path("<slug:slug>/start/", views.start_exam, name="start"),
]
