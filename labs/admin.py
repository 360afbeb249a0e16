from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from labs.management.commands.validate_lab import validator_account
from labs.models import Laboratory, LaboratoryAttempt, LaboratoryTask, LaboratoryTaskResult
from labs.translations import translated_names, translation_fieldsets
from labs.validation import describe, lint_check_script, validate_lab


class TaskInline(admin.StackedInline):
    model = LaboratoryTask
    extra = 0
    ordering = ["order"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "order",
                    "title",
                    "points",
                    "description",
                    "check_script",
                    "hint",
                    "solution_script",
                ]
            },
        ),
        *translation_fieldsets(["title", "description", "hint"]),
    ]


class CheckScriptWarningsMixin:
    """An admin mixin that warns, after a save, about check scripts that cannot fail.

    For the admin of a model whose tasks (related name "tasks") have a
    check_script and a title.
    """

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for task in form.instance.tasks.all():
            for warning in lint_check_script(task.check_script):
                self.message_user(request, f"{task.title}: {warning}", messages.WARNING)


@admin.register(Laboratory)
class LaboratoryAdmin(CheckScriptWarningsMixin, admin.ModelAdmin):
    list_display = ["title", "slug", "module", "is_active", "order"]
    list_filter = ["is_active", "module"]
    list_editable = ["is_active", "order"]
    search_fields = ["title", *translated_names("title"), "slug"]
    prepopulated_fields = {"slug": ["title"]}
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "description",
                    "image",
                    "setup_script",
                    "module",
                    "is_active",
                    "order",
                ]
            },
        ),
        *translation_fieldsets(["title", "description"]),
    ]
    inlines = [TaskInline]
    actions = ["validate_labs"]

    @admin.action(
        description=_("Validate selected labs in a throwaway container"), permissions=["change"]
    )
    def validate_labs(self, request, queryset):
        for lab in queryset:
            report = validate_lab(lab, owner=validator_account())
            level = messages.SUCCESS if report.ok else messages.ERROR
            verdict = _("valid") if report.ok else _("invalid")
            self.message_user(request, f"{lab.title}: {verdict}", level)
            for line in describe(report):
                self.message_user(request, line, messages.INFO if report.ok else messages.WARNING)


class ResultInline(admin.TabularInline):
    model = LaboratoryTaskResult
    extra = 0
    can_delete = False
    readonly_fields = ["task", "passed", "feedback", "checked_at", "duration", "hint_used"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LaboratoryAttempt)
class LaboratoryAttemptAdmin(admin.ModelAdmin):
    list_display = ["lab", "user", "status", "started_at", "finished_at"]
    list_filter = ["status", "lab"]
    search_fields = ["user__username", "lab__title"]
    readonly_fields = ["user", "lab", "container", "status", "started_at", "finished_at"]
    inlines = [ResultInline]

    def has_add_permission(self, request):
        return False
