from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from courses.models import LessonSync, Module, Section, Theme
from courses.sync import sync_lessons


class SectionInline(admin.TabularInline):
    model = Section
    fields = ["order", "title", "slug", "description"]
    extra = 0
    ordering = ["order"]


class ThemeInline(admin.TabularInline):
    model = Theme
    fields = ["order", "title", "slug", "source_path"]
    readonly_fields = ["source_path"]
    extra = 0
    ordering = ["order"]
    show_change_link = True


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "order", "source_path"]
    list_editable = ["order"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [SectionInline]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title", "module", "order", "source_path"]
    list_filter = ["module"]
    list_editable = ["order"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ThemeInline]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["title", "section", "order", "source_path", "commit", "updated_at"]
    list_filter = ["section__module"]
    list_editable = ["order"]
    search_fields = ["title", "slug", "source"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["source_path", "commit", "updated_at"]
    fields = [
        "section",
        "title",
        "slug",
        "order",
        "description",
        "source",
        "source_path",
        "commit",
        "updated_at",
    ]


@admin.register(LessonSync)
class LessonSyncAdmin(admin.ModelAdmin):
    list_display = ["started_at", "result", "commit", "changed", "removed", "problem_count"]
    list_filter = ["result"]
    readonly_fields = [
        "started_at", "finished_at", "result", "commit", "changed", "removed", "problem_list",
    ]  # fmt: skip
    exclude = ["problems"]
    change_list_template = "admin/courses/lessonsync/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("problems"))
    def problem_count(self, record):
        return len(record.problems)

    @admin.display(description=_("problems"))
    def problem_list(self, record):
        if not record.problems:
            return _("none")
        return format_html_join(
            "\n",
            "<p><code>{}</code>: {}</p>",
            ((problem["path"] or "-", problem["message"]) for problem in record.problems),
        )

    def get_urls(self):
        return [
            path(
                "sync/",
                self.admin_site.admin_view(require_POST(self.sync_view)),
                name="courses_lessonsync_sync",
            ),
            *super().get_urls(),
        ]

    def sync_view(self, request):
        """Run a lesson sync now (the "Sync lessons now" button)."""
        if not request.user.has_perm("courses.change_theme"):
            raise PermissionDenied

        record = sync_lessons()

        level = {
            LessonSync.Result.OK: messages.SUCCESS,
            LessonSync.Result.PARTIAL: messages.WARNING,
        }.get(record.result, messages.ERROR)
        self.message_user(
            request,
            _("Lesson sync: %(result)s, %(changed)d themes rendered, %(removed)d removed, "
              "%(problems)d problems.")
            % {
                "result": record.get_result_display(),
                "changed": record.changed,
                "removed": record.removed,
                "problems": len(record.problems),
            },
            level,
        )  # fmt: skip
        return redirect("admin:courses_lessonsync_change", record.pk)
