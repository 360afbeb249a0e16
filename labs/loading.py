"""Loading labs from YAML files, as in examples/labs/ (the format is in docs/content.md)."""

from pathlib import Path

import yaml
from django.db import transaction

from courses.models import Module
from labs.models import Laboratory, LaboratoryTask

TASK_FIELDS = {"title": "title", "description": "description", "check": "check_script",
               "hint": "hint", "solution": "solution_script", "points": "points"}  # fmt: skip


class LabFileInvalid(ValueError):
    pass


def read_lab_file(path):
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not data.get("title") or not data.get("tasks"):
        raise LabFileInvalid(f"{path}: a lab needs a title and a list of tasks.")
    for number, task in enumerate(data["tasks"], start=1):
        if not isinstance(task, dict) or not task.get("title") or not task.get("check"):
            raise LabFileInvalid(f"{path}: task {number} needs a title and a check script.")
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
    lab = Laboratory.objects.filter(slug=slug).first()
    changed = lab is None or any(getattr(lab, name) != value for name, value in values.items())
    if lab is None:
        lab = Laboratory(slug=slug)
    if changed:
        for name, value in values.items():
            setattr(lab, name, value)
        lab.save()

    wanted = [
        {field: task.get(key, 1 if key == "points" else "") for key, field in TASK_FIELDS.items()}
        for task in data["tasks"]
    ]
    current = [
        {field: getattr(task, field) for field in TASK_FIELDS.values()} for task in lab.tasks.all()
    ]
    if current != wanted:
        lab.tasks.all().delete()
        for order_number, fields in enumerate(wanted, start=1):
            LaboratoryTask.objects.create(lab=lab, order=order_number, **fields)
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
