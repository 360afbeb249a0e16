from django.urls import path

from labs import views

app_name = "labs"

urlpatterns = [
    path("", views.lab_list, name="list"),
    path("<slug:slug>/", views.lab_detail, name="detail"),
    path("<slug:slug>/start/", views.start_lab, name="start"),
    path("attempts/<int:attempt_id>/check/", views.check_attempt, name="check_all"),
    path("attempts/<int:attempt_id>/tasks/<int:task_id>/check/", views.check_attempt, name="check"),
    path("attempts/<int:attempt_id>/tasks/<int:task_id>/hint/", views.show_hint, name="hint"),
    path("attempts/<int:attempt_id>/restart/", views.restart_lab, name="restart"),
    path("attempts/<int:attempt_id>/leave/", views.leave_lab, name="leave"),
]
