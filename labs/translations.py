"""Uzbek and Russian texts of labs and exams beside their English originals.

The original title, description and hint are written in English, whatever
LANGUAGE_CODE a site sets for its visitors. Each translation language has
a blank column of its own beside the original (title_uz, description_ru,
hint_ru, ...) that instructors fill in the admin or in YAML files.
Students read the column of their active language, and the original where
that column is empty. Descriptions, and the hints of lab tasks, are
Markdown, rendered to HTML on save once per language.
"""

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from courses.rendering import render_markdown

# Codes of LANGUAGES other than English, with the name of the admin
# fieldset that contains their columns.
# NOTE: adding a language to LANGUAGES needs columns for it here, in the
# models that have hints, and a migration.
TRANSLATION_LANGUAGES = {
    "uz": _("Uzbek translation"),
    "ru": _("Russian translation"),
}


def translation_language(language=None):
    """Return the code of TRANSLATION_LANGUAGES for language (the active one by default).

    Returns None for the original's language and for languages without
    translation columns.
    """
    language = language or translation.get_language()
    if not language:
        return None
    try:
        code = translation.get_supported_language_variant(language)
    except LookupError:
        return None
    return code if code in TRANSLATION_LANGUAGES else None


def translated_value(get, name, language=None):
    """Return the value of name in language (the active one by default) through get.

    get reads a column by name, such as getattr on a model or a row of
    values(). A translation that is empty or only whitespace gives the
    original.
    """
    code = translation_language(language)
    if code is not None:
        value = get(f"{name}_{code}")
        if value.strip():
            return value
    return get(name)


def translated_names(name):
    return [f"{name}_{code}" for code in TRANSLATION_LANGUAGES]


def translation_fieldsets(names):
    """Return one collapsed admin fieldset per translation language with the names' columns."""
    return [
        (label, {"fields": [f"{name}_{code}" for name in names], "classes": ["collapse"]})
        for code, label in TRANSLATION_LANGUAGES.items()
    ]


class TranslatedText(models.Model):
    """Translated titles and descriptions for a model with title, description, description_html."""

    title_uz = models.CharField(_("title in Uzbek"), max_length=200, blank=True)
    title_ru = models.CharField(_("title in Russian"), max_length=200, blank=True)
    description_uz = models.TextField(
        _("description in Uzbek"), blank=True, help_text=_("Markdown. Empty: the original.")
    )
    description_ru = models.TextField(
        _("description in Russian"), blank=True, help_text=_("Markdown. Empty: the original.")
    )
    description_html_uz = models.TextField(editable=False, blank=True)
    description_html_ru = models.TextField(editable=False, blank=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.description_html = render_markdown(self.description)
        for code in TRANSLATION_LANGUAGES:
            source = getattr(self, f"description_{code}")
            setattr(self, f"description_html_{code}", render_markdown(source))
        super().save(*args, **kwargs)

    def translated(self, name, language=None):
        """Return the field called name in language (the active one by default).

        A translation that is empty or only whitespace gives the original.
        """
        return translated_value(lambda field: getattr(self, field), name, language)

    @property
    def translated_title(self):
        return self.translated("title")

    @property
    def translated_description_html(self):
        return self.translated("description_html")


def with_translation_keys(fields, translated):
    """Extend a map of YAML keys to model fields with key_uz → field_uz and so on.

    fields maps a YAML key (hint) to a model field (hint); translated names
    the keys that have translation columns.
    """
    extended = dict(fields)
    for key in translated:
        for code in TRANSLATION_LANGUAGES:
            extended[f"{key}_{code}"] = f"{fields[key]}_{code}"
    return extended


def check_translation_keys(where, data, translated, error):
    """Raise error when data has a translation key of an unknown language or a non-text value."""
    for key, value in data.items():
        base, separator, code = key.rpartition("_")
        if not separator or base not in translated:
            continue
        if code not in TRANSLATION_LANGUAGES:
            known = " or ".join(f"{base}_{known}" for known in TRANSLATION_LANGUAGES)
            raise error(
                f"{where}: {key} is not a valid key because {code} is not a translation "
                f"language. Use {known}."
            )
        if not isinstance(value, str):
            raise error(f"{where}: {key} must be text, not {value!r}.")
