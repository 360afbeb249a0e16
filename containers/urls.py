from django.urls import path

from containers import views

app_name = "containers"

urlpatterns = [
    path("", views.sandbox_page, name="sandbox"),
    path("create/", views.create_sandbox, name="create"),
    path("<int:container_id>/stop/", views.stop_sandbox, name="stop"),
    path("<int:container_id>/start/", views.start_sandbox, name="start"),
    path("<int:container_id>/reset/", views.reset_sandbox, name="reset"),
    path("<int:container_id>/delete/", views.delete_sandbox, name="delete"),
]
