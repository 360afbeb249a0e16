"""Platform statistics for admins, read with five aggregate queries whatever the data size."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q

from accounts.models import Role, User
from containers.models import Container, Kind
from exams.models import AttemptStatus, Exam, ExamAttempt, percent_of
from labs.models import AttemptStatus as LabAttemptStatus
from labs.models import LaboratoryAttempt


@dataclass(frozen=True)
class ExamStatistics:
    exam: Exam
    attempts: int
    graded: int
    passed: int
    # Percentages of the graded attempts, or None while no attempt is graded.
    pass_rate: Decimal | None
    average_percent: Decimal | None


@dataclass(frozen=True)
class PlatformStatistics:
    # Counts keyed by the stored value (role "student", kind "lab", status
    # "graded"), with every value present, 0 when nothing has it.
    active_users_by_role: dict[str, int]
    inactive_users: int
    live_containers_by_kind: dict[str, int]
    exam_attempts_by_status: dict[str, int]
    exams: list[ExamStatistics]
    lab_attempts_completed: int

    @property
    def exam_attempts(self):
        return sum(self.exam_attempts_by_status.values())


def platform_statistics():
    """Count users, live containers, exam attempts and completed labs; return PlatformStatistics."""
    active_users = dict.fromkeys(Role.values, 0)
    inactive_users = 0
    for row in User.objects.values("role", "is_active").annotate(count=Count("id")).order_by():
        if row["is_active"]:
            active_users[row["role"]] = active_users.get(row["role"], 0) + row["count"]
        else:
            inactive_users += row["count"]

    containers = dict.fromkeys(Kind.values, 0)
    containers.update(
        Container.objects.live().values_list("kind").annotate(count=Count("id")).order_by()
    )

    attempts = dict.fromkeys(AttemptStatus.values, 0)
    attempts.update(
        ExamAttempt.objects.values_list("status").annotate(count=Count("id")).order_by()
    )

    return PlatformStatistics(
        active_users_by_role=active_users,
        inactive_users=inactive_users,
        live_containers_by_kind=containers,
        exam_attempts_by_status=attempts,
        exams=_exam_statistics(),
        lab_attempts_completed=LaboratoryAttempt.objects.filter(
            status=LabAttemptStatus.COMPLETED
        ).count(),
    )


def _exam_statistics():
    graded = Q(attempts__status=AttemptStatus.GRADED)
    exams = Exam.objects.annotate(
        attempt_count=Count("attempts"),
        graded_count=Count("attempts", filter=graded),
        passed_count=Count("attempts", filter=graded & Q(attempts__passed=True)),
        average_percent=Avg("attempts__percent", filter=graded),
    ).order_by("title", "id")
    return [
        ExamStatistics(
            exam=exam,
            attempts=exam.attempt_count,
            graded=exam.graded_count,
            passed=exam.passed_count,
            pass_rate=percent_of(exam.passed_count, exam.graded_count)
            if exam.graded_count
            else None,
            average_percent=_hundredths(exam.average_percent),
        )
        for exam in exams
    ]


def _hundredths(value):
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
