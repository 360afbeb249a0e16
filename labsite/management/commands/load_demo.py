import secrets
import shutil
from pathlib import Path

import git
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import services as account_services
from accounts.models import User
from courses.models import LessonSync
from courses.sync import sync_lessons
from exams.loading import ExamFileInvalid, load_exam_folder
from labs.loading import LabFileInvalid, load_lab_folder

EXAMPLES = Path(settings.BASE_DIR) / "examples"
DEMO_STUDENT = "demo"


class Command(BaseCommand):
    help = (
        "Load the demo content from examples/: the sample course (synced from a git "
        "repository made from examples/course), the sample labs and exam, and a demo "
        "student. Running it again changes nothing when the examples did not change."
    )

    def handle(self, *args, **options):
        changes = [
            self.load_course(),
            self.load_labs(),
            self.load_exams(),
            self.create_demo_student(),
        ]

        if not any(changes):
            self.stdout.write("Demo content is up to date; nothing changed.")

    def load_course(self):
        repository = Path(settings.STATE_DIR) / "demo-lessons"
        committed = publish_folder(EXAMPLES / "course", repository)
        last = LessonSync.objects.filter(
            result__in=[LessonSync.Result.OK, LessonSync.Result.PARTIAL]
        ).first()
        head = git.Repo(repository).head.commit.hexsha
        if not committed and last is not None and last.commit == head:
            return False

        record = sync_lessons(url=str(repository), branch="main")

        for problem in record.problems:
            self.stderr.write(f"{problem['path'] or 'repository'}: {problem['message']}")
        if record.result == LessonSync.Result.FAILED:
            raise CommandError("The demo course could not be synced.")
        self.stdout.write(
            f"Sample course: {record.changed} lessons rendered, {record.removed} removed "
            f"(repository {repository})."
        )
        return True

    def load_labs(self):
        return self.load_folder("labs", load_lab_folder, LabFileInvalid)

    def load_exams(self):
        return self.load_folder("exams", load_exam_folder, ExamFileInvalid)

    def load_folder(self, name, load, invalid_error):
        """Load examples/<name> with load; return whether anything changed."""
        try:
            changed = load(EXAMPLES / name)
        except invalid_error as error:
            raise CommandError(str(error)) from error
        if changed:
            self.stdout.write(f"Sample {name} loaded or updated: {', '.join(changed)}.")
        return bool(changed)

    def create_demo_student(self):
        if User.objects.filter(username=DEMO_STUDENT).exists():
            return False
        password = secrets.token_urlsafe(12)
        account_services.register_user(
            username=DEMO_STUDENT,
            email="demo@localhost",
            password=password,
            full_name="Demo Student",
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created the demo student {DEMO_STUDENT!r} with the password {password}\n"
                "It is shown only this once."
            )
        )
        return True


def publish_folder(source, repository):
    """Mirror source into the git repository and commit; return whether a commit was made."""
    if not (repository / ".git").is_dir():
        repository.mkdir(parents=True, exist_ok=True)
        git.Repo.init(repository, initial_branch="main")
    repo = git.Repo(repository)
    for child in repository.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(source, repository, dirs_exist_ok=True)
    repo.git.add("-A")
    if not repo.is_dirty(index=True, untracked_files=True) and repo.head.is_valid():
        return False
    with repo.config_writer() as config:
        config.set_value("user", "name", "Labsite demo")
        config.set_value("user", "email", "demo@localhost")
    repo.index.commit("Update the demo content from examples/")
    return True
