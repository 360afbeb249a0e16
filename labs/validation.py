"""Validation of a lab or an exam by its own solutions, in a throwaway container.

The container is set up as for a student. Then every check must fail, every
solution must succeed, and every check must pass. Every check must still
pass after the container restarts, which catches a solution that only
changed memory, such as a process that does not survive a reboot.
"""

import logging
import re
from dataclasses import dataclass, field

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from containers import checks
from containers import services as container_services
from containers.errors import ContainerError
from containers.models import Kind

logger = logging.getLogger(__name__)

# Last lines of a check script that make its exit status 0 whatever the test before
# them found. A heuristic: it catches the usual mistakes, not every script that cannot fail.
ALWAYS_PASSES = [
    re.compile(r"\|\|\s*(true|:)\s*$"),
    re.compile(r"^\s*(true|:)\s*$"),
    re.compile(r"^\s*exit\s+0\s*$"),
    re.compile(r"^\s*echo\b"),
    re.compile(r"^\s*printf\b"),
]


@dataclass
class TaskReport:
    task: object
    failed_before: bool = False
    solution_ran: bool = False
    passed_after: bool = False
    passed_after_restart: bool = False
    warnings: list = field(default_factory=list)
    feedback: str = ""

    @property
    def ok(self):
        return (
            self.failed_before
            and self.solution_ran
            and self.passed_after
            and self.passed_after_restart
        )


@dataclass
class ValidationReport:
    # A Laboratory or an Exam: both have slug, image, setup_script and tasks.
    subject: object
    tasks: list = field(default_factory=list)
    error: str = ""

    @property
    def ok(self):
        return not self.error and all(report.ok for report in self.tasks)


def lint_check_script(script):
    """Return warnings about a check script that looks unable to fail."""
    lines = [
        line
        for line in script.strip().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        return [_("The check script is empty, so it always passes.")]
    last = lines[-1]
    if any(pattern.search(last) for pattern in ALWAYS_PASSES):
        return [
            _("The check script ends with '%(line)s', so its exit status is always 0. "
              "End it with the test whose status decides the verdict.") % {"line": last.strip()}
        ]  # fmt: skip
    return []


def validate_lab(lab, *, owner):
    """Validate a lab in a throwaway container owned by owner; return a ValidationReport."""
    return validate_tasks(lab, owner=owner, kind=Kind.LAB)


def validate_tasks(subject, *, owner, kind):
    """Validate the tasks of a lab or an exam in a throwaway container of that kind.

    The container belongs to owner and is deleted afterwards. Returns a
    ValidationReport, whose error contains any LXD or SSH failure.
    """
    tasks = list(subject.tasks.all())
    report = ValidationReport(
        subject=subject,
        tasks=[TaskReport(task, warnings=lint_check_script(task.check_script)) for task in tasks],
    )
    container = None
    try:
        container = container_services.create_container(
            owner=owner, kind=kind, image=subject.image or None
        )
        _run_steps(subject, container, tasks, report)
    except ContainerError as error:
        report.error = str(error.message)
    finally:
        if container is not None:
            container_services.delete_container(container)
    logger.info("%s validated: %s ok=%s", kind, subject.slug, report.ok)
    return report


def _run_steps(subject, container, tasks, report):
    if subject.setup_script.strip():
        [setup] = checks.run_checks(container, [subject.setup_script])
        if not setup.passed:
            report.error = _("The setup script failed: %(output)s") % {"output": setup.feedback}
            return
    scripts = [task.check_script for task in tasks]

    for task_report, result in zip(
        report.tasks, checks.run_checks(container, scripts), strict=True
    ):
        task_report.failed_before = not result.passed
    solutions = [task.solution_script or "false" for task in tasks]
    for task_report, result in zip(
        report.tasks, checks.run_checks(container, solutions), strict=True
    ):
        task_report.solution_ran = result.passed
        if not result.passed:
            task_report.feedback = result.feedback
    for task_report, result in zip(
        report.tasks, checks.run_checks(container, scripts), strict=True
    ):
        task_report.passed_after = result.passed
        if not result.passed:
            task_report.feedback = result.feedback

    container_services.stop_container(container)
    container_services.start_container(container)
    for task_report, result in zip(
        report.tasks, checks.run_checks(container, scripts), strict=True
    ):
        task_report.passed_after_restart = result.passed


def describe(report):
    """Return the report as lines of text for people."""
    lines = []
    if report.error:
        lines.append(
            _("%(kind)s %(slug)s: validation failed: %(error)s")
            % {
                "kind": capfirst(report.subject._meta.verbose_name),
                "slug": report.subject.slug,
                "error": report.error,
            }
        )
    for task_report in report.tasks:
        steps = [
            (task_report.failed_before, _("fails before the solution")),
            (task_report.solution_ran, _("solution runs")),
            (task_report.passed_after, _("passes after the solution")),
            (task_report.passed_after_restart, _("passes after a restart")),
        ]
        marks = ", ".join(f"{_('ok') if done else _('NO')}: {text}" for done, text in steps)
        verdict = _("OK") if task_report.ok else _("FAIL")
        lines.append(f"{verdict} {task_report.task.title}: {marks}")
        if task_report.feedback and not task_report.ok:
            lines.append("     " + task_report.feedback.replace("\n", "\n     "))
        for warning in task_report.warnings:
            lines.append(_("     warning: %(warning)s") % {"warning": warning})
    return lines
