from django.urls import path

from labs import api

urlpatterns = [
    path("labs", api.LabListView.as_view(), name="api-labs"),
    path("labs/<int:lab_id>", api.LabDetailView.as_view(), name="api-lab"),
    path("labs/<int:lab_id>/start", api.StartLabView.as_view(), name="api-lab-start"),
    path("labs/attempts/<int:attempt_id>", api.AttemptView.as_view(), name="api-lab-attempt"),
    path(
        "labs/attempts/<int:attempt_id>/check",
        api.CheckAttemptView.as_view(),
        name="api-lab-check",
    ),
]
