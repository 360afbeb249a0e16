"""Loading labs from YAML files, as in examples/labs/ (the format is in docs/content.md)."""

from pathlib import Path

import yaml
from django.db import transaction

from courses.models import Module
from labs.models import Laboratory, LaboratoryTask
from labs.translations import check_translation_keys, translated_names, with_translation_keys

LAB_TRANSLATED = ["title", "description"]
TASK_TRANSLATED = ["title", "description", "hint"]
TASK_FIELDS = with_translation_keys(
    {"title": "title", "description": "description", "check": "check_script",
     "hint": "hint", "solution": "solution_script", "points": "points"},
    TASK_TRANSLATED,
)  # fmt: skip


class LabFileInvalid(ValueError):
    pass


def read_lab_file(path):
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not data.get("title") or not data.get("tasks"):
        raise LabFileInvalid(f"{path}: a lab needs a title and a list of tasks.")
    check_translation_keys(path, data, LAB_TRANSLATED, LabFileInvalid)
    for number, task in enumerate(data["tasks"], start=1):
        if not isinstance(task, dict) or not task.get("title") or not task.get("check"):
            raise LabFileInvalid(f"{path}: task {number} needs a title and a check script.")
        check_translation_keys(f"{path}: task {number}", task, TASK_TRANSLATED, LabFileInvalid)
    return data


@transaction.atomic
def load_lab(slug, data, *, order=0):
    """Create or update the lab from parsed YAML; return whether anything changed."""
    module = None
    if data.get("module"):
        module = Module.objects.filter(slug=data["module"]).first()
        if module is None:
            raise LabFileInvalid(
                f"lab {slug}: no course module has the slug {data['module']!r}; "
                "sync the lessons first or correct the slug."
            )
    values = {
        "title": data["title"],
        "description": data.get("description", ""),
        "setup_script": data.get("setup", ""),
        "image": data.get("image", ""),
        "module": module,
        "order": order,
    }
    for key in LAB_TRANSLATED:
        values.update({name: data.get(name, "") for name in translated_names(key)})
    lab = Laboratory.objects.filter(slug=slug).first()
    changed = lab is None or any(getattr(lab, name) != value for name, value in values.items())
    if lab is None:
        lab = Laboratory(slug=slug)
    if changed:
        for name, value in values.items():
            setattr(lab, name, value)
        lab.save()

    # Tasks are matched by position and updated in place, so students'
    # results for them stay; only tasks beyond the file's last are deleted.
    tasks = list(lab.tasks.all())
    for order_number, task_data in enumerate(data["tasks"], start=1):
        fields = {
            field: task_data.get(key, 1 if key == "points" else "")
            for key, field in TASK_FIELDS.items()
        }
        fields["order"] = order_number
        task = tasks[order_number - 1] if order_number <= len(tasks) else None
        if task is None:
            LaboratoryTask.objects.create(lab=lab, **fields)
            changed = True
        elif any(getattr(task, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(task, name, value)
            task.save()
            changed = True
    for task in tasks[len(data["tasks"]) :]:
        task.delete()
        changed = True
    return changed


def load_lab_folder(folder):
    """Load every NN-slug.yaml in folder; return the slugs of labs that changed."""
    changed = []
    for path in sorted(Path(folder).glob("*.yaml")):
        order_text, _dash, slug = path.stem.partition("-")
        if load_lab(slug, read_lab_file(path), order=int(order_text)):
            changed.append(slug)
    return changed
