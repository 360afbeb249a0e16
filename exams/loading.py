"""Loading exams from YAML files, as in examples/exams/.

A file is named NN-slug.yaml and contains:

    title: Server handover                 # required
    description: Markdown rules            # optional
    duration: 45                           # minutes, required
    passing_score: 60                      # percent, default 60
    max_attempts: 1                        # default 1
    image: labsite/debian-12               # LXD image alias, default LXD_IMAGE
    setup: bash run as root in each new container (optional)
    tasks:                                 # at least one
      - title: ...                         # required
        description: Markdown              # optional
        check: bash that passes when the task is done (required)
        solution: bash that does the task (optional, for validation and tests)
        points: 2                          # default 1

Titles and descriptions may have Uzbek and Russian translations beside
them: title_uz, title_ru, description_uz and description_ru, on the exam
and on each task. An empty or missing translation shows the original.

Loading never changes whether an exam is active or its window: instructors
set those in the admin. Tasks are matched by position and updated in place,
so the results that students have for them stay.
"""

from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from exams.models import Exam, ExamTask
from labs.translations import check_translation_keys, with_translation_keys

TRANSLATED = ["title", "description"]
EXAM_FIELDS = with_translation_keys(
    {"title": "title", "description": "description", "duration": "duration_minutes",
     "passing_score": "passing_score", "max_attempts": "max_attempts", "image": "image",
     "setup": "setup_script"},
    TRANSLATED,
)  # fmt: skip
TASK_FIELDS = with_translation_keys(
    {"title": "title", "description": "description", "check": "check_script",
     "solution": "solution_script", "points": "points"},
    TRANSLATED,
)  # fmt: skip
NUMBERS = {"duration", "passing_score", "max_attempts", "points"}
DEFAULTS = {"passing_score": 60, "max_attempts": 1, "points": 1}


class ExamFileInvalid(ValueError):
    pass


def read_exam_file(path):
    """Parse one exam file; raise ExamFileInvalid when a required key is missing or mistyped."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not data.get("title") or not data.get("tasks"):
        raise ExamFileInvalid(f"{path}: an exam needs a title and a list of tasks.")
    if "duration" not in data:
        raise ExamFileInvalid(f"{path}: an exam needs a duration in minutes.")
    _check_numbers(path, data)
    check_translation_keys(path, data, TRANSLATED, ExamFileInvalid)
    for number, task in enumerate(data["tasks"], start=1):
        if not isinstance(task, dict) or not task.get("title") or not task.get("check"):
            raise ExamFileInvalid(f"{path}: task {number} needs a title and a check script.")
        _check_numbers(f"{path}: task {number}", task)
        check_translation_keys(f"{path}: task {number}", task, TRANSLATED, ExamFileInvalid)
    return data


def _check_numbers(where, data):
    for key in NUMBERS & data.keys():
        # bool is an int in Python, but "points: yes" is a mistake.
        if not isinstance(data[key], int) or isinstance(data[key], bool):
            raise ExamFileInvalid(f"{where}: {key} must be a whole number, not {data[key]!r}.")


def _values(data, fields):
    return {field: data.get(key, DEFAULTS.get(key, "")) for key, field in fields.items()}


@transaction.atomic
def load_exam(slug, data):
    """Create or update the exam from parsed YAML; return whether anything changed.

    Raises ExamFileInvalid when a value breaks the models' rules, or when the
    file has fewer tasks than an exam that has attempts: removing a task would
    delete the students' results for it.
    """
    exam = Exam.objects.filter(slug=slug).first() or Exam(slug=slug)
    changed = _update(exam, _values(data, EXAM_FIELDS), f"exam {slug}")

    tasks = list(exam.tasks.all())
    for order, task_data in enumerate(data["tasks"], start=1):
        task = tasks[order - 1] if order <= len(tasks) else ExamTask(exam=exam)
        values = {**_values(task_data, TASK_FIELDS), "order": order}
        changed |= _update(task, values, f"exam {slug}, task {order}")

    removed = tasks[len(data["tasks"]) :]
    if removed and exam.attempts.exists():
        raise ExamFileInvalid(
            f"exam {slug}: the file has {len(data['tasks'])} tasks, but the exam has "
            f"{len(tasks)} and attempts whose results would be lost. Load the new version "
            "under a new slug and deactivate this exam in the admin."
        )
    for task in removed:
        task.delete()
    return changed or bool(removed)


def _update(instance, values, where):
    """Set values on a new or changed instance, validate and save it; return whether it saved."""
    if instance.pk is not None and all(
        getattr(instance, name) == value for name, value in values.items()
    ):
        return False
    for name, value in values.items():
        setattr(instance, name, value)
    try:
        instance.full_clean()
    except ValidationError as error:
        problems = "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
        )
        raise ExamFileInvalid(f"{where}: {problems}") from error
    instance.save()
    return True


def load_exam_folder(folder):
    """Load every NN-slug.yaml in folder; return the slugs of exams that changed."""
    changed = []
    for path in sorted(Path(folder).glob("*.yaml")):
        _order, _dash, slug = path.stem.partition("-")
        if load_exam(slug, read_exam_file(path)):
            changed.append(slug)
    return changed
