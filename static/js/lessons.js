// Lesson pages: a copy button on every code block, and a "Run in terminal"
// button on blocks marked runnable in the source (```{.bash .run}), which
// types the block into the sandbox terminal beside the lesson. Button texts
// come from Django's JavaScript catalogue, which base.html loads first.
(() => {
  'use strict';

  function terminalContainerId() {
    const mount = document.querySelector('.lesson-terminal [data-terminal]');
    return mount ? mount.dataset.containerId : null;
  }

  function addButton(block, label, onClick) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'code-button small';
    // The lesson body carries the lesson's language, and the button the page's.
    button.lang = document.documentElement.lang;
    button.textContent = label;
    button.addEventListener('click', () => onClick(button));
    block.appendChild(button);
    return button;
  }

  function setUp(body) {
    const texts = {
      copy: gettext('Copy'),
      copied: gettext('Copied'),
      run: gettext('Run in terminal'),
      noTerminal: gettext('Open the terminal first.'),
    };
    for (const block of body.querySelectorAll('div.highlight')) {
      const code = block.querySelector('code');
      if (!code) {
        continue;
      }
      const text = code.textContent;
      addButton(block, texts.copy, (button) => {
        navigator.clipboard.writeText(text).then(() => {
          button.textContent = texts.copied;
          setTimeout(() => { button.textContent = texts.copy; }, 1500);
        });
      });
      if (block.classList.contains('run')) {
        addButton(block, texts.run, (button) => {
          const containerId = terminalContainerId();
          // Each line is typed as one command; a trailing newline runs the last one.
          const typed = containerId && window.labsiteTerminal &&
            window.labsiteTerminal.type(containerId, text.replace(/\n?$/, '\n').replace(/\n/g, '\r'));
          if (!typed) {
            button.textContent = texts.noTerminal;
            setTimeout(() => { button.textContent = texts.run; }, 2000);
          }
        }).classList.add('run-button');
      }
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    for (const body of document.querySelectorAll('.lesson-body')) {
      setUp(body);
    }
  });
})();
