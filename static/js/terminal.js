/*
 * Browser terminal: an xterm.js terminal in every [data-terminal] element,
 * connected to the container's shell over the WebSocket protocol described
 * in docs/terminal-protocol.md.
 *
 * Markup (templates/containers/_terminal.html renders it):
 *   data-terminal              marks the mount element
 *   data-container-id          the container's id (required)
 *   data-ws-path               WebSocket path, default /ws/terminal/<container id>/
 *   [data-terminal-screen]     child element that xterm.js renders into
 *   [data-terminal-status]     child element that shows the connection status
 *   [data-terminal-login]      hidden link, shown when the server closes with 4401
 *   [data-terminal-reconnect]  hidden button, shown after the shell ended or timed out
 * The script sets data-terminal-state on the mount element to connecting,
 * connected, reconnecting, closed or unsupported.
 *
 * Other page code (for example a lesson's "run this command" button) uses
 * the global window.labsiteTerminal:
 *   labsiteTerminal.type(containerId, text)
 *     Sends text to the shell as if typed, so "ls\r" runs ls. Returns false,
 *     and sends nothing, when no terminal of that container is connected.
 *   labsiteTerminal.text(containerId)
 *     Returns the terminal's scrollback and screen as text, one line per row
 *     without trailing spaces and without the blank rows at the end, or null
 *     when no terminal of that container is mounted.
 *   labsiteTerminal.get(containerId)
 *     Returns the xterm.js Terminal object, or null.
 * Each function uses the first terminal of that container on the page.
 *
 * Terminals that appear later (an HTMX swap) are mounted, and those removed
 * from the page are disposed, which closes their socket and so their shell.
 *
 * The status texts come from Django's JavaScript catalogue (gettext and
 * interpolate), which templates/base.html loads before this script.
 */
(() => {
  'use strict';

  // htmx runs the partial's <script> elements again when a swap inserts the
  // partial again; the first run already watches the page.
  if (window.labsiteTerminal) {
    return;
  }

  // Acknowledge output in batches of this many bytes, or sooner when
  // xterm.js has written everything it received.
  const ACK_BATCH_BYTES = 32 * 1024;
  const RECONNECT_FIRST_DELAY_MS = 500;
  const RECONNECT_MAX_DELAY_MS = 10000;

  // Close codes of a deliberate close, after which the client does not
  // reconnect. After 4502 (SSH failed) and a dropped connection it does.
  const FINAL_CLOSE_CODES = [1000, 4401, 4404, 4408, 4409, 4410];
  // After these codes a fresh shell is one click away.
  const OFFER_RECONNECT_CODES = [1000, 4408];

  // Return why the terminal closed, by close code, for a "closed" message
  // that carries no reason of its own. docs/terminal-protocol.md lists the codes.
  function closeReason(code) {
    switch (code) {
      case 1000: return gettext('The shell ended.');
      case 4401: return gettext('You are not logged in.');
      case 4404: return gettext('This container does not exist or is not yours.');
      case 4408: return gettext('There was no input for too long.');
      case 4409: return gettext('The container is not running. Start it, then connect again.');
      case 4410: return gettext('The exam time is over.');
      case 4502: return gettext('The connection to the container failed.');
      default: return gettext('The connection was closed.');
    }
  }

  // The text of the status bar in each state of data-terminal-state.
  function statusText(state, { attempt = 0, reason = '' } = {}) {
    switch (state) {
      case 'connecting': return gettext('Connecting…');
      case 'connected': return gettext('Connected');
      case 'reconnecting':
        return interpolate(
          gettext('Connection lost. Reconnecting (attempt %(attempt)s)…'), { attempt }, true
        );
      case 'closed': return interpolate(gettext('Closed: %(reason)s'), { reason }, true);
      case 'unsupported':
        return gettext('This browser cannot show the terminal. Use a current version of Firefox, Chrome, Edge or Safari.');
      default: return state;
    }
  }

  const TERMINAL_OPTIONS = {
    allowProposedApi: false,
    scrollback: 5000,
    fontFamily: '"DejaVu Sans Mono", "Cascadia Mono", "Ubuntu Mono", Menlo, Consolas, ' +
      '"Liberation Mono", monospace',
    fontSize: 15,
    cursorBlink: true,
    theme: {
      background: '#15191e',
      foreground: '#d9dee3',
      cursor: '#f2f4f5',
      cursorAccent: '#15191e',
      selectionBackground: '#3e5566',
    },
    // OSC 8 hyperlinks that programs print open nothing. The default handler
    // shows an untranslated confirm() dialog and then navigates.
    linkHandler: { activate() {} },
  };

  const encoder = new TextEncoder();
  let sessions = [];

  function binaryStringToBytes(data) {
    const bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      bytes[i] = data.charCodeAt(i) & 0xff;
    }
    return bytes;
  }

  /*
   * Apply the <style> elements that xterm.js creates under root through
   * constructed style sheets, and return a function that stops doing so.
   * The site's Content-Security-Policy (style-src 'self') blocks inline
   * <style> elements, and xterm.js 6 keeps its row colours, cursor and
   * selection rules in them. CSP does not cover constructed sheets (checked
   * in Chromium 156).
   * NOTE: xterm.js sets 24-bit colours in style attributes, which the policy
   * also blocks, so such text shows in the default colour.
   */
  function mirrorInlineStyles(root) {
    const sheets = new Map();

    const syncAll = () => {
      for (const style of root.querySelectorAll('style')) {
        let sheet = sheets.get(style);
        if (!sheet) {
          sheet = new CSSStyleSheet();
          sheets.set(style, sheet);
          document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
        }
        sheet.replaceSync(style.textContent);
      }
    };

    // Setting a <style> element's textContent replaces its child text node,
    // which is a childList change of the element.
    const observer = new MutationObserver((records) => {
      const changed = records.some((record) => record.target.nodeName === 'STYLE' ||
        Array.from(record.addedNodes).some((node) => node.nodeName === 'STYLE'));
      if (changed) {
        syncAll();
      }
    });
    observer.observe(root, { childList: true, subtree: true });
    syncAll();

    return () => {
      observer.disconnect();
      const ours = new Set(sheets.values());
      document.adoptedStyleSheets = document.adoptedStyleSheets.filter((sheet) => !ours.has(sheet));
      sheets.clear();
    };
  }

  class TerminalSession {
    constructor(element) {
      this.element = element;
      this.containerId = String(element.dataset.containerId || '');
      this.statusElement = element.querySelector('[data-terminal-status]');
      this.loginLink = element.querySelector('[data-terminal-login]');
      this.reconnectButton = element.querySelector('[data-terminal-reconnect]');
      this.screen = element.querySelector('[data-terminal-screen]') || element;

      this.socket = null;
      this.sessionId = null;
      // Reconnection attempts since the last "connected" message.
      this.attempt = 0;
      this.reconnectTimer = null;
      this.closedMessage = null;
      // Output written to the screen and not yet acknowledged, in bytes.
      this.unackedBytes = 0;
      // Calls of terminal.write() whose callback has not run yet.
      this.pendingWrites = 0;
      this.fitFrame = null;
      this.disposed = false;
    }

    start() {
      this.terminal = new Terminal(TERMINAL_OPTIONS);
      this.fitAddon = new FitAddon.FitAddon();
      this.terminal.loadAddon(this.fitAddon);
      this.stopMirroring = mirrorInlineStyles(this.screen);
      this.terminal.open(this.screen);
      this.terminal.attachCustomKeyEventHandler((event) => this.handleKey(event));

      this.terminal.onData((data) => this.send(encoder.encode(data)));
      this.terminal.onBinary((data) => this.send(binaryStringToBytes(data)));
      this.terminal.onResize(() => this.sendResize());

      this.resizeObserver = new ResizeObserver(() => this.scheduleFit());
      this.resizeObserver.observe(this.screen);
      this.fit();
      if (document.fonts) {
        document.fonts.ready.then(() => this.scheduleFit());
      }

      if (this.reconnectButton) {
        this.onReconnectClick = () => {
          this.sessionId = null;
          this.attempt = 0;
          this.connect();
          this.terminal.focus();
        };
        this.reconnectButton.addEventListener('click', this.onReconnectClick);
      }

      this.connect();
    }

    handleKey(event) {
      // Ctrl+Shift+C copies the selection and Ctrl+Shift+V pastes, as in
      // desktop terminals; plain Ctrl+C and Ctrl+V go to the shell.
      if (!event.ctrlKey || !event.shiftKey || event.altKey || event.metaKey) {
        return true;
      }
      const key = event.key.toLowerCase();
      if (key === 'c') {
        event.preventDefault();
        if (event.type === 'keydown' && this.terminal.hasSelection()) {
          this.copySelection();
        }
        return false;
      }
      if (key === 'v') {
        // The browser's default action fires a paste event on xterm.js's
        // textarea, and xterm.js sends the pasted text through onData.
        return false;
      }
      return true;
    }

    copySelection() {
      // Without the asynchronous clipboard API (plain HTTP other than
      // localhost), execCommand fires a copy event, which xterm.js fills
      // with its selection.
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(this.terminal.getSelection())
          .catch(() => document.execCommand('copy'));
      } else {
        document.execCommand('copy');
      }
    }

    socketUrl() {
      const path = this.element.dataset.wsPath ||
        `/ws/terminal/${encodeURIComponent(this.containerId)}/`;
      const url = new URL(path, window.location.href);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      if (this.sessionId) {
        url.searchParams.set('session', this.sessionId);
      }
      return url.toString();
    }

    connect() {
      this.clearReconnect();
      this.closedMessage = null;
      this.unackedBytes = 0;
      this.pendingWrites = 0;
      this.showCloseActions(null);
      this.setStatus(this.attempt > 0 ? 'reconnecting' : 'connecting');

      const socket = new WebSocket(this.socketUrl());
      socket.binaryType = 'arraybuffer';
      this.socket = socket;

      // Events of a socket that this session has replaced or closed are ignored.
      socket.addEventListener('open', () => {
        if (socket === this.socket) {
          this.sendResize();
        }
      });
      socket.addEventListener('message', (event) => {
        if (socket !== this.socket) {
          return;
        }
        if (typeof event.data === 'string') {
          this.handleControl(event.data);
        } else {
          this.handleOutput(socket, new Uint8Array(event.data));
        }
      });
      socket.addEventListener('close', (event) => {
        if (socket === this.socket) {
          this.handleClose(event);
        }
      });
    }

    handleControl(text) {
      let message;
      try {
        message = JSON.parse(text);
      } catch (error) {
        return;
      }
      if (message === null || typeof message !== 'object') {
        return;
      }

      if (message.type === 'connected') {
        this.sessionId = message.session || null;
        this.attempt = 0;
        if (message.replayed > 0) {
          // The replayed output that follows redraws the screen from a clean state.
          this.terminal.reset();
        }
        this.setStatus('connected');
        this.sendResize();
        if (document.activeElement === null || document.activeElement === document.body) {
          this.terminal.focus();
        }
      } else if (message.type === 'closed') {
        this.closedMessage = message;
      }
    }

    handleOutput(socket, bytes) {
      this.pendingWrites += 1;
      this.terminal.write(bytes, () => {
        // Output of an earlier socket is not acknowledged on a new one,
        // because the server counts unacknowledged bytes per connection.
        if (socket !== this.socket) {
          return;
        }
        this.pendingWrites -= 1;
        this.unackedBytes += bytes.length;
        if (this.unackedBytes >= ACK_BATCH_BYTES || this.pendingWrites === 0) {
          this.sendJson({ type: 'ack', bytes: this.unackedBytes });
          this.unackedBytes = 0;
        }
      });
    }

    handleClose(event) {
      this.socket = null;
      // The "closed" message states the server's intent even when the
      // close frame itself was lost.
      const code = this.closedMessage ? Number(this.closedMessage.code) : event.code;
      if (!FINAL_CLOSE_CODES.includes(code)) {
        this.scheduleReconnect();
        return;
      }

      const reason = (this.closedMessage && this.closedMessage.reason) || closeReason(code);
      this.setStatus('closed', reason);
      this.showCloseActions(code);
    }

    scheduleReconnect() {
      this.attempt += 1;
      const delay = Math.min(
        RECONNECT_FIRST_DELAY_MS * 2 ** (this.attempt - 1), RECONNECT_MAX_DELAY_MS
      );
      this.setStatus('reconnecting');
      this.reconnectTimer = window.setTimeout(() => {
        this.reconnectTimer = null;
        this.connect();
      }, delay);
    }

    reconnectNow() {
      if (this.reconnectTimer !== null) {
        this.connect();
      }
    }

    clearReconnect() {
      if (this.reconnectTimer !== null) {
        window.clearTimeout(this.reconnectTimer);
        this.reconnectTimer = null;
      }
    }

    setStatus(state, reason = '') {
      this.element.dataset.terminalState = state;
      if (this.statusElement) {
        this.statusElement.textContent = statusText(state, { attempt: this.attempt, reason });
      }
    }

    showCloseActions(closeCode) {
      if (this.loginLink) {
        this.loginLink.hidden = closeCode !== 4401;
      }
      if (this.reconnectButton) {
        this.reconnectButton.hidden = !OFFER_RECONNECT_CODES.includes(closeCode);
      }
    }

    isOpen() {
      return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
    }

    send(bytes) {
      // Keys typed while the socket is down are dropped rather than sent
      // later, when the shell may be in a different state.
      if (!this.isOpen()) {
        return false;
      }
      this.socket.send(bytes);
      return true;
    }

    sendJson(message) {
      if (this.isOpen()) {
        this.socket.send(JSON.stringify(message));
      }
    }

    sendResize() {
      this.sendJson({ type: 'resize', cols: this.terminal.cols, rows: this.terminal.rows });
    }

    scheduleFit() {
      if (this.fitFrame !== null || this.disposed) {
        return;
      }
      this.fitFrame = window.requestAnimationFrame(() => {
        this.fitFrame = null;
        this.fit();
      });
    }

    fit() {
      // A terminal that is not displayed has no size, so it keeps the last one.
      if (this.disposed || this.screen.offsetWidth === 0 || this.screen.offsetHeight === 0) {
        return;
      }
      // fit() resizes the terminal only when the size changed, and
      // onResize then sends the new size to the server.
      this.fitAddon.fit();
    }

    bufferText() {
      const buffer = this.terminal.buffer.active;
      const lines = [];
      for (let i = 0; i < buffer.length; i++) {
        const line = buffer.getLine(i);
        lines.push(line ? line.translateToString(true).replace(/\s+$/, '') : '');
      }
      return lines.join('\n').replace(/\n+$/, '');
    }

    close() {
      this.clearReconnect();
      if (this.socket !== null) {
        const socket = this.socket;
        this.socket = null;
        // The server ends the shell at once after code 1000, but keeps it
        // for a grace period after a dropped connection.
        socket.close(1000);
      }
    }

    dispose() {
      if (this.disposed) {
        return;
      }
      this.disposed = true;
      this.close();
      if (this.fitFrame !== null) {
        window.cancelAnimationFrame(this.fitFrame);
      }
      if (this.reconnectButton) {
        this.reconnectButton.removeEventListener('click', this.onReconnectClick);
      }
      this.resizeObserver.disconnect();
      this.terminal.dispose();
      this.stopMirroring();
    }
  }

  function isSupported() {
    return typeof window.Terminal === 'function' && typeof window.FitAddon === 'object' &&
      typeof window.CSSStyleSheet === 'function' && 'adoptedStyleSheets' in document;
  }

  function mount(element) {
    const session = new TerminalSession(element);
    element.labsiteTerminalSession = session;
    if (!isSupported()) {
      session.setStatus('unsupported');
      return;
    }
    sessions.push(session);
    session.start();
  }

  // Mount the terminals that are new on the page and dispose those that left it.
  function update() {
    sessions = sessions.filter((session) => {
      if (session.element.isConnected) {
        return true;
      }
      session.dispose();
      return false;
    });
    for (const element of document.querySelectorAll('[data-terminal]')) {
      if (!element.labsiteTerminalSession) {
        mount(element);
      }
    }
  }

  function find(containerId) {
    const id = String(containerId);
    return sessions.find((session) => session.containerId === id && !session.disposed) || null;
  }

  window.labsiteTerminal = {
    type(containerId, text) {
      const session = find(containerId);
      return session !== null && session.send(encoder.encode(String(text)));
    },
    text(containerId) {
      const session = find(containerId);
      return session === null ? null : session.bufferText();
    },
    get(containerId) {
      const session = find(containerId);
      return session === null ? null : session.terminal;
    },
  };

  function start() {
    update();
    // xterm.js changes the DOM inside its own element on every frame, and
    // only changes elsewhere can add or remove a terminal.
    new MutationObserver((records) => {
      if (records.some((record) => !record.target.closest || !record.target.closest('.xterm'))) {
        update();
      }
    }).observe(document.body, { childList: true, subtree: true });

    window.addEventListener('online', () => sessions.forEach((session) => session.reconnectNow()));
    window.addEventListener('pagehide', () => sessions.forEach((session) => session.close()));
    window.addEventListener('pageshow', (event) => {
      // A page restored from the back/forward cache had its sockets closed
      // by pagehide, and the server ended those shells. Terminals that the
      // server had closed before stay closed.
      if (!event.persisted) {
        return;
      }
      for (const session of sessions) {
        if (session.element.dataset.terminalState !== 'closed') {
          session.sessionId = null;
          session.attempt = 0;
          session.connect();
        }
      }
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
