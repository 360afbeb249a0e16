"""The sample labs and exam carry complete Uzbek and Russian texts with unchanged code."""

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from exams.loading import read_exam_file
from labs.loading import read_lab_file
from labs.translations import TRANSLATION_LANGUAGES

EXAMPLES = Path(settings.BASE_DIR) / "examples"
SAMPLES = [
    *((path, read_lab_file) for path in sorted((EXAMPLES / "labs").glob("*.yaml"))),
    *((path, read_exam_file) for path in sorted((EXAMPLES / "exams").glob("*.yaml"))),
]
CODE_BLOCK = re.compile(r"^```[^\n]*\n.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]+`")


def code_of(text):
    """Return the code blocks and inline code of Markdown text, which translations keep as is."""
    blocks = CODE_BLOCK.findall(text)
    return Counter(blocks + CODE_SPAN.findall(CODE_BLOCK.sub("", text)))


def translated_texts(data, where):
    """Yield (where, key, original, translation) for each text of data that has an original."""
    for key in ["title", "description", "hint"]:
        if not data.get(key):
            continue
        for code in TRANSLATION_LANGUAGES:
            yield where, f"{key}_{code}", data[key], data.get(f"{key}_{code}", "")


@pytest.mark.parametrize(("path", "read"), SAMPLES, ids=[path.name for path, _read in SAMPLES])
def test_sample_is_fully_translated(path, read):
    data = read(path)
    texts = list(translated_texts(data, path.name))
    for number, task in enumerate(data["tasks"], start=1):
        texts += translated_texts(task, f"{path.name} task {number}")

    for where, key, original, translation in texts:
        assert translation.strip(), f"{where}: {key} is missing"
        assert translation != original, f"{where}: {key} is the original"
        assert code_of(translation) == code_of(original), f"{where}: {key} changes code"


def test_exam_uses_course_module_titles():
    exam = read_exam_file(EXAMPLES / "exams" / "01-server-handover.yaml")
    modules = sorted((EXAMPLES / "course").glob("*"))

    for language in ["en", *TRANSLATION_LANGUAGES]:
        key = "description" if language == "en" else f"description_{language}"
        name = "module.yaml" if language == "en" else f"module.{language}.yaml"
        description = " ".join(exam[key].split()).lower()
        for module in modules:
            title = yaml.safe_load((module / name).read_text(encoding="utf-8"))["title"]
            assert title.lower() in description, f"{key} lacks the module title {title!r}"
