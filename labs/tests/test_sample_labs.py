"""The sample labs in examples/labs: load_demo loads them and each passes validate_lab."""

import pytest
from django.core.management import call_command

from labs.models import Laboratory

pytestmark = [pytest.mark.lxd, pytest.mark.usefixtures("lxd_cleanup"), pytest.mark.django_db]


def test_sample_labs_load_and_validate(capsys, settings, tmp_path):
    settings.STATE_DIR = tmp_path
    settings.LESSONS_CHECKOUT_DIR = str(tmp_path / "lessons")
    call_command("load_demo")
    labs = list(Laboratory.objects.all())

    call_command("validate_lab")

    output = capsys.readouterr().out
    assert len(labs) >= 3
    assert all(lab.tasks.count() >= 3 for lab in labs)
    assert all(lab.module is not None for lab in labs)
    assert output.count(": valid") == len(labs)
    assert "warning" not in output
