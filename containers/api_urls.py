from django.urls import path

from containers import api

urlpatterns = [
    path("containers/create", api.CreateSandboxView.as_view(), name="api-sandbox-create"),
    path("containers/sandbox", api.SandboxView.as_view(), name="api-sandbox"),
    path("containers/<int:container_id>", api.ContainerView.as_view(), name="api-container"),
]
