from django.urls import path

from courses import views

app_name = "courses"

urlpatterns = [
    path("", views.module_list, name="modules"),
    path("modules/<int:module_id>/", views.module_detail, name="module"),
    path("themes/<int:theme_id>/", views.theme_detail, name="theme"),
    path("themes/<int:theme_id>/done/", views.complete_theme, name="complete"),
    path("terminal/", views.open_terminal, name="open_terminal"),
    path("files/<path:path>", views.repository_file, name="repository_file"),
]
