/*
 * Exam pages (templates/exams/): the countdown. The Submit confirmation and
 * the busy state of forms are static/js/confirm.js.
 *
 * Markup:
 *   [data-exam-countdown]   data-seconds-left: the server's figure when it rendered the page
 *     [data-exam-clock]     shows the time left as h:mm:ss, or m:ss under an hour
 *     [data-exam-warning]   hidden paragraphs. The one with the smallest value at or
 *                           above the seconds left is shown.
 *
 * At zero the body gets the exam-time-over event; the page's #exam-time-over
 * element listens for it with hx-trigger and then polls the server.
 */
(() => {
  'use strict';

  const TICK_MS = 250;

  function formatClock(totalSeconds) {
    const hours = Math.floor(totalSeconds / 3600);
    const minutes = Math.floor((totalSeconds % 3600) / 60);
    const seconds = totalSeconds % 60;
    const twoDigits = (value) => String(value).padStart(2, '0');
    if (hours > 0) {
      return `${hours}:${twoDigits(minutes)}:${twoDigits(seconds)}`;
    }
    return `${minutes}:${twoDigits(seconds)}`;
  }

  function startCountdown(root) {
    const secondsLeftAtLoad = Number(root.dataset.secondsLeft);
    const clock = root.querySelector('[data-exam-clock]');
    const warnings = Array.from(root.querySelectorAll('[data-exam-warning]'))
      .map((element) => ({ element, seconds: Number(element.dataset.examWarning) }))
      .sort((a, b) => a.seconds - b.seconds);
    // Elapsed time is measured on two clocks and the larger one wins.
    // performance.now() ignores changes of the system clock but may stop
    // while the computer sleeps, and Date.now() is the other way round. The
    // deadline itself always comes from the server's figure.
    const loadedAt = { monotonic: performance.now(), wall: Date.now() };
    let timer = null;

    function secondsLeft() {
      const elapsedMs = Math.max(
        performance.now() - loadedAt.monotonic,
        Date.now() - loadedAt.wall,
      );
      return Math.max(0, Math.ceil(secondsLeftAtLoad - elapsedMs / 1000));
    }

    function showWarning(left) {
      // At zero the page's time-over notice takes the warnings' place.
      const current = left > 0 ? warnings.find((warning) => left <= warning.seconds) : undefined;
      for (const warning of warnings) {
        warning.element.hidden = warning !== current;
      }
    }

    function tick() {
      const left = secondsLeft();
      clock.textContent = formatClock(left);
      showWarning(left);
      if (left === 0) {
        window.clearInterval(timer);
        root.dataset.examState = 'over';
        // The server rendered the page at zero: its poll is running already.
        if (secondsLeftAtLoad > 0) {
          document.body.dispatchEvent(new CustomEvent('exam-time-over'));
        }
      }
    }

    tick();
    if (secondsLeftAtLoad > 0) {
      timer = window.setInterval(tick, TICK_MS);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    document.querySelectorAll('[data-exam-countdown]').forEach(startCountdown);
  });
})();
