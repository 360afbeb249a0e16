from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/register", api.RegisterView.as_view(), name="api-register"),
    path("auth/login", api.LoginView.as_view(), name="api-login"),
    path("auth/refresh", api.RefreshView.as_view(), name="api-refresh"),
    path("auth/me", api.MeView.as_view(), name="api-me"),
    path("auth/password", api.PasswordChangeView.as_view(), name="api-password"),
    path("profile", api.ProfileView.as_view(), name="api-profile"),
    path("admin/users", api.AdminUsersView.as_view(), name="api-admin-users"),
    path("admin/users/<int:user_id>", api.AdminUserView.as_view(), name="api-admin-user"),
]
