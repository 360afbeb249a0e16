// Confirmation dialogs before actions that cannot be undone (restarting a
// lab, submitting an exam), and the busy state of forms whose request takes
// seconds.
//
//   form[data-confirm="ID"]  opens dialog#ID instead of submitting
//   form[data-busy]          disables its buttons and shows its .busy status
//                            once submitted, while the next page loads
//
// The dialog contains its own form that does the action, and a
// <form method="dialog"> that closes it. Where showModal is missing, the
// first form submits without asking.
(() => {
  'use strict';

  function confirmBeforeSubmit(form) {
    const dialog = document.getElementById(form.dataset.confirm);
    if (!dialog || typeof dialog.showModal !== 'function') {
      return;
    }
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      dialog.showModal();
    });
  }

  function showBusyOnSubmit(form) {
    form.addEventListener('submit', () => {
      form.querySelectorAll('button').forEach((button) => {
        button.disabled = true;
      });
      form.querySelectorAll('.busy').forEach((status) => {
        status.hidden = false;
      });
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    document.querySelectorAll('form[data-confirm]').forEach(confirmBeforeSubmit);
    document.querySelectorAll('form[data-busy]').forEach(showBusyOnSubmit);
  });
})();
