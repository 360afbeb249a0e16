from django.core.management.base import BaseCommand, CommandError

from courses.models import LessonSync
from courses.sync import sync_lessons


class Command(BaseCommand):
    help = "Sync lessons from the git repository in LESSONS_REPO_URL (branch LESSONS_BRANCH)."

    def add_arguments(self, parser):
        parser.add_argument("--repo", help="Repository URL or path instead of LESSONS_REPO_URL.")
        parser.add_argument("--branch", help="Branch instead of LESSONS_BRANCH.")
        parser.add_argument(
            "--full", action="store_true", help="Render every theme, not only changed files."
        )

    def handle(self, *args, repo, branch, full, **options):
        record = sync_lessons(url=repo, branch=branch, full=full)

        for problem in record.problems:
            self.stderr.write(f"{problem['path'] or 'repository'}: {problem['message']}")
        if record.result == LessonSync.Result.FAILED:
            raise CommandError("Lesson sync failed; nothing was changed.")
        self.stdout.write(
            f"Synced {record.commit[:12]}: {record.changed} themes rendered, "
            f"{record.removed} removed, {len(record.problems)} problems."
        )
