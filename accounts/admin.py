from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import services
from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "email", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "full_name", "email"]
    ordering = ["username"]
    actions = ["activate_users", "deactivate_users"]
    readonly_fields = ["last_login", "date_joined", "is_staff", "is_superuser"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal info"), {"fields": ["full_name", "email", "preferred_language"]}),
        (_("Role and access"), {"fields": ["role", "is_active", "is_staff", "is_superuser"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "email", "full_name", "role", "password1", "password2"],
            },
        ),
    ]
    filter_horizontal = []

    @admin.action(description=_("Activate selected users"))
    def activate_users(self, request, queryset):
        self._set_active(request, queryset, active=True)

    @admin.action(description=_("Deactivate selected users"))
    def deactivate_users(self, request, queryset):
        self._set_active(request, queryset, active=False)

    def _set_active(self, request, queryset, *, active):
        changed = 0
        for user in queryset.exclude(is_active=active):
            if not active and user.pk == request.user.pk:
                self.message_user(
                    request, _("You cannot deactivate your own account."), messages.WARNING
                )
                continue
            services.set_active(user=user, active=active)
            changed += 1
        if active:
            text = ngettext("%(count)d user activated.", "%(count)d users activated.", changed)
        else:
            text = ngettext("%(count)d user deactivated.", "%(count)d users deactivated.", changed)
        self.message_user(request, text % {"count": changed}, messages.SUCCESS)
