"""The languages of lesson originals and their translations.

Originals are written in LANGUAGE_CODE; every other code in LANGUAGES may
have a translation file beside the original (docs/content.md, "Translations").
"""

from django.conf import settings
from django.utils import translation


def original_language():
    return settings.LANGUAGE_CODE


def translation_languages():
    """Return the codes of LANGUAGES that translation files may use, in settings order."""
    return [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def active_language():
    """Return the active language as a code of LANGUAGES, falling back to the original's."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    try:
        return translation.get_supported_language_variant(language)
    except LookupError:
        return settings.LANGUAGE_CODE
