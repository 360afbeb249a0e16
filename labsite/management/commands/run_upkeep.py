import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Each pass is a function that takes no arguments and does one round of
# background work. They run in this order, one after the other.
UPKEEP_PASSES: list[str] = ["containers.upkeep.run", "exams.upkeep.run"]


class Command(BaseCommand):
    help = "Run the background upkeep passes in a loop (or once with --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every pass once and exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.UPKEEP_INTERVAL,
            help="Seconds to wait between two rounds (default: UPKEEP_INTERVAL).",
        )

    def handle(self, *args, once, interval, **options):
        passes = [import_string(path) for path in UPKEEP_PASSES]
        stop = threading.Event()
        if not once:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
            logger.info("upkeep started: %d passes every %.1f s", len(passes), interval)

        while not stop.is_set():
            run_passes(passes)
            if once:
                break
            stop.wait(interval)

        if not once:
            logger.info("upkeep stopped")


def run_passes(passes):
    for upkeep_pass in passes:
        try:
            upkeep_pass()
        except Exception:
            # One failing pass must not stop the others or the loop.
            logger.exception("upkeep pass %s failed", upkeep_pass.__qualname__)
