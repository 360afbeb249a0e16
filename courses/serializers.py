from rest_framework import serializers

from courses.models import Module, Section, Theme, TranslationStatus


class ModuleSerializer(serializers.ModelSerializer):
    theme_count = serializers.IntegerField()
    done_count = serializers.IntegerField()
    percent = serializers.IntegerField()

    class Meta:
        model = Module
        fields = [
            "id",
            "title",
            "slug",
            "order",
            "description",
            "theme_count",
            "done_count",
            "percent",
        ]


class ThemeSummarySerializer(serializers.ModelSerializer):
    done = serializers.SerializerMethodField()

    class Meta:
        model = Theme
        fields = ["id", "title", "slug", "order", "description", "done"]

    def get_done(self, theme) -> bool:
        return theme.pk in self.context["done"]


class SectionSerializer(serializers.ModelSerializer):
    themes = ThemeSummarySerializer(many=True)

    class Meta:
        model = Section
        fields = ["id", "title", "slug", "order", "description", "themes"]


class ModuleDetailSerializer(serializers.ModelSerializer):
    sections = SectionSerializer(many=True)
    percent = serializers.IntegerField()

    class Meta:
        model = Module
        fields = ["id", "title", "slug", "order", "description", "percent", "sections"]


class LessonSerializer(serializers.ModelSerializer):
    module = serializers.IntegerField(source="section.module_id")
    section = serializers.IntegerField(source="section_id")
    language = serializers.CharField(help_text="Language code of title, description and html.")
    translation_status = serializers.ChoiceField(
        choices=TranslationStatus.choices,
        help_text="original: the request's language is the originals' language; translated; "
        "outdated: translated, but the original changed after the translation; missing: not "
        "translated into the request's language, so the original is returned.",
    )
    done = serializers.BooleanField()
    previous = serializers.IntegerField(allow_null=True)
    next = serializers.IntegerField(allow_null=True)

    class Meta:
        model = Theme
        fields = [
            "id", "title", "slug", "order", "description", "module", "section",
            "language", "translation_status",
            "html", "commit", "updated_at", "done", "previous", "next",
        ]  # fmt: skip
