// polyrun's browser terminal: xterm.js connected to the Socket.IO shell.
//
// - Typed lines go as `input` events, edited locally (backspace, arrows,
//   history); while a program runs they go to its stdin, echoed.
// - `output-success` is written as is, `output-error` in red, both only
//   after control strings that could act on the page are removed;
//   pictures are drawn inline, and file names `ls` links download the
//   file when clicked (output.js).
// - Files go in and out over the same socket (transfers.js).
// - Ctrl-C sends `interrupt`. The session id is kept in sessionStorage, so
//   a reconnect or a reload resumes the same sandbox.
'use strict';

(function () {
  const SESSION_KEY = 'polyrun.sessionId';
  const RED = '\x1b[31m';
  const DIM = '\x1b[2m';
  const RESET = '\x1b[0m';

  // The page's Content-Security-Policy allows no inline styles, and
  // xterm.js writes its layout and colours into <style> elements it
  // creates. It gets inert, hidden stand-ins instead, whose text is
  // mirrored into constructed style sheets, which the policy allows: the
  // page keeps a strict policy and the terminal its styles.
  const STAND_IN = 'POLYRUN-STYLE';
  function mirrorInlineStyles() {
    const create = document.createElement.bind(document);
    document.createElement = (name, options) => {
      if (String(name).toLowerCase() !== 'style') return create(name, options);
      const standIn = create(STAND_IN.toLowerCase());
      standIn.hidden = true;
      return standIn;
    };
    const sheets = new Map();
    const sync = (element) => {
      let sheet = sheets.get(element);
      if (!sheet) {
        sheet = new CSSStyleSheet();
        sheets.set(element, sheet);
      }
      sheet.replaceSync(element.textContent || '');
    };
    const adopt = () => {
      for (const [element] of sheets) {
        if (!element.isConnected) sheets.delete(element);
      }
      document.adoptedStyleSheets = [...sheets.values()];
    };
    new MutationObserver((mutations) => {
      let changed = false;
      for (const mutation of mutations) {
        for (const node of [mutation.target, ...mutation.addedNodes]) {
          const element = node.nodeType === Node.TEXT_NODE ? node.parentNode : node;
          if (element && element.nodeName === STAND_IN) {
            sync(element);
            changed = true;
          }
        }
        if (mutation.removedNodes.length) changed = true;
      }
      if (changed) adopt();
    }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
  }

  mirrorInlineStyles();

  const term = new Terminal({
    cursorBlink: true,
    convertEol: true,
    scrollback: 5000,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    // At 1.0 some monospace fonts lose the bottom row of pixels: `_`.
    lineHeight: 1.2,
    theme: { background: '#000000' },
    // Only links to sandbox files reach the terminal (output.js).
    linkHandler: {
      allowNonHttpProtocols: true,
      activate: (event, uri) => {
        const path = PolyrunOutput.linkedFile(uri);
        if (path !== null) transfers.download(path);
      },
    },
  });
  const fit = new FitAddon.FitAddon();
  term.loadAddon(fit);
  term.loadAddon(new ImageAddon.ImageAddon({
    enableSizeReports: false,
    sixelSupport: false,
    iipSizeLimit: 8 * 1024 * 1024,
    pixelLimit: 4096 * 4096,
    storageLimit: 64,
  }));
  const container = document.getElementById('terminal');
  term.open(container);
  fit.fit();
  new ResizeObserver(() => fit.fit()).observe(container);
  term.focus();

  const connection = document.getElementById('connection');
  const directory = document.getElementById('directory');
  const runButton = document.getElementById('run-button');
  const processLabel = document.getElementById('process');
  const transferStatus = document.getElementById('transfer');
  const filterOut = PolyrunOutput.outputFilter();
  const filterErr = PolyrunOutput.outputFilter();

  const shell = {
    line: '',
    cursor: 0,
    history: [],
    historyIndex: 0,
    running: false,
    cwd: '~',
    atLineStart: true,
    sessions: 0,
  };

  function setConnection(state, text) {
    connection.className = 'state-' + state;
    connection.textContent = text;
  }

  function write(text) {
    if (!text) return;
    term.write(text);
    const visible = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    if (visible) shell.atLineStart = visible.endsWith('\n');
  }

  function showPrompt() {
    if (!shell.atLineStart) write('\r\n');
    shell.line = '';
    shell.cursor = 0;
    term.write(`\x1b[1;32mpolyrun\x1b[0m:\x1b[1;34m${shell.cwd}\x1b[0m$ `);
    shell.atLineStart = false;
  }

  // The header names what runs, until it ends.
  function setRunning(running, what = '') {
    shell.running = running;
    runButton.disabled = running;
    processLabel.hidden = !running;
    processLabel.textContent = running ? `running: ${what}` : '';
  }

  // ---- line editing -----------------------------------------------------

  function insert(text) {
    const rest = shell.line.slice(shell.cursor);
    shell.line = shell.line.slice(0, shell.cursor) + text + rest;
    shell.cursor += text.length;
    term.write(text + rest + (rest.length ? `\x1b[${rest.length}D` : ''));
  }

  function backspace() {
    if (shell.cursor === 0) return;
    const rest = shell.line.slice(shell.cursor);
    shell.line = shell.line.slice(0, shell.cursor - 1) + rest;
    shell.cursor -= 1;
    term.write(`\b${rest} \x1b[${rest.length + 1}D`);
  }

  function replaceLine(text) {
    if (shell.cursor) term.write(`\x1b[${shell.cursor}D`);
    term.write('\x1b[K');
    shell.line = '';
    shell.cursor = 0;
    insert(text);
  }

  function moveCursor(delta) {
    const target = Math.max(0, Math.min(shell.line.length, shell.cursor + delta));
    const moved = target - shell.cursor;
    if (moved > 0) term.write(`\x1b[${moved}C`);
    if (moved < 0) term.write(`\x1b[${-moved}D`);
    shell.cursor = target;
  }

  function browseHistory(delta) {
    if (shell.running || !shell.history.length) return;
    const index = Math.max(0, Math.min(shell.history.length, shell.historyIndex + delta));
    shell.historyIndex = index;
    replaceLine(shell.history[index] ?? '');
  }

  function enter() {
    const line = shell.line;
    term.write('\r\n');
    shell.atLineStart = true;
    shell.line = '';
    shell.cursor = 0;
    if (!socket.connected) {
      write(`${RED}not connected; the line was not sent${RESET}\r\n`);
      if (!shell.running) showPrompt();
      return;
    }
    if (shell.running) {
      socket.emit('input', line);
      return;
    }
    if (!line.trim()) {
      showPrompt();
      return;
    }
    if (shell.history[shell.history.length - 1] !== line) shell.history.push(line);
    shell.historyIndex = shell.history.length;
    setRunning(true, line);
    socket.emit('input', line);
  }

  // Tab: the server completes the word before the cursor (command names,
  // then sandbox paths). One candidate is inserted; several insert what
  // they share, and a second Tab lists them.
  function complete() {
    if (shell.running || !socket.connected) return;
    const line = shell.line;
    const cursor = shell.cursor;
    socket.emit('complete', { line, cursor: [...line.slice(0, cursor)].length }, (result) => {
      if (!result || shell.running || shell.line !== line || shell.cursor !== cursor) return;
      const word = [...line.slice(0, cursor)].slice(result.start).join('');
      const candidates = (result.candidates || []).filter((c) => c.startsWith(word));
      if (!candidates.length) return;
      if (candidates.length === 1) {
        const only = candidates[0];
        insert(only.slice(word.length) + (only.endsWith('/') ? '' : ' '));
        return;
      }
      let shared = candidates[0];
      for (const c of candidates) while (!c.startsWith(shared)) shared = shared.slice(0, -1);
      if (shared.length > word.length) {
        insert(shared.slice(word.length));
        shell.listedFor = null;
      } else if (shell.listedFor === line) {
        write(`\r\n${candidates.map((c) => c.replace(/^.*\/(?=.)/, '')).join('  ')}\r\n`);
        const saved = shell.line;
        showPrompt();
        insert(saved);
      } else {
        shell.listedFor = line;
      }
    });
  }

  function interrupt() {
    term.write('^C\r\n');
    shell.atLineStart = true;
    if (shell.running) {
      socket.emit('interrupt');
      shell.line = '';
      shell.cursor = 0;
    } else {
      showPrompt();
    }
  }

  const KEYS = {
    '\x1b[A': () => browseHistory(-1),
    '\x1b[B': () => browseHistory(1),
    '\x1b[C': () => moveCursor(1),
    '\x1b[D': () => moveCursor(-1),
    '\x1b[H': () => moveCursor(-shell.cursor),
    '\x1b[F': () => moveCursor(shell.line.length),
    '\x1bOH': () => moveCursor(-shell.cursor),
    '\x1bOF': () => moveCursor(shell.line.length),
  };

  term.onData((data) => {
    if (KEYS[data]) return KEYS[data]();
    if (data.startsWith('\x1b')) return; // other keys: ignored
    for (const ch of data) {
      if (ch === '\r') enter();
      else if (ch === '\x7f' || ch === '\b') backspace();
      else if (ch === '\x03') interrupt();
      else if (ch === '\x04') {
        if (shell.running && !shell.line) socket.emit('input', '\u0004');
      } else if (ch === '\x0c') {
        if (!shell.running) {
          term.clear();
          replaceLine(shell.line);
        }
      } else if (ch === '\t') {
        if (data.length === 1) complete();
      } else if (ch === '\n') {
        // A pasted "\r\n" is one Enter.
      } else if (ch >= ' ') insert(ch);
    }
  });

  // ---- the connection ---------------------------------------------------

  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  const socket = io({
    auth: (send) => send({
      sessionId: sessionStorage.getItem(SESSION_KEY) || undefined,
      token: token || undefined,
      features: ['inline-images', 'downloads'],
    }),
  });

  socket.on('connect', () => setConnection('connected', 'connected'));
  socket.on('disconnect', (reason) => {
    setConnection('reconnecting', 'reconnecting…');
    if (reason === 'io server disconnect') {
      // The server ended the session (idle timeout): start a new one.
      setTimeout(() => socket.connect(), 1000);
    }
  });
  socket.on('connect_error', (error) => {
    setConnection('disconnected', 'not connected: ' + error.message);
  });
  socket.io.on('reconnect_attempt', () => setConnection('reconnecting', 'reconnecting…'));

  socket.on('session', (session) => {
    const known = sessionStorage.getItem(SESSION_KEY);
    sessionStorage.setItem(SESSION_KEY, session.sessionId);
    directory.textContent = session.userDirectory;
    shell.cwd = session.cwd || '~';
    setRunning(false);
    if (session.resumed) {
      write(`\r\n${DIM}[resumed session ${session.userDirectory}]${RESET}\r\n`);
    } else if (known || shell.sessions > 0) {
      write(`\r\n${DIM}[new session ${session.userDirectory}: the previous one ended]${RESET}\r\n`);
    } else {
      write(`${DIM}polyrun: your private sandbox is ${session.userDirectory}. Type 'help'.${RESET}\r\n`);
    }
    shell.sessions += 1;
    showPrompt();
  });

  // Output is written in order; a picture that must be rasterised first
  // holds back what follows it until it is drawn.
  let drawing = Promise.resolve();
  let waiting = 0;
  function inOrder(task) {
    if (!waiting) {
      const pending = task();
      if (!pending) return;
      drawing = pending;
    } else {
      drawing = drawing.then(task);
    }
    waiting += 1;
    drawing = drawing.finally(() => {
      waiting -= 1;
    });
  }

  function writeOutput(parts, colour) {
    let pending;
    for (const part of parts) {
      if (pending) {
        pending = pending.then(() => writeOutput([part], colour));
      } else if (typeof part === 'string') {
        write(colour ? colour + part + RESET : part);
      } else {
        pending = PolyrunOutput.drawPicture(term, part.picture, (why) => write(`${RED}${why}${RESET}\r\n`));
      }
    }
    return pending;
  }

  socket.on('output-success', (text) => {
    const parts = filterOut(String(text));
    inOrder(() => writeOutput(parts));
  });
  socket.on('output-error', (text) => {
    const parts = filterErr(String(text));
    inOrder(() => writeOutput(parts, RED));
  });
  socket.on('exit', (exit) => {
    inOrder(() => {
      shell.cwd = exit.cwd || shell.cwd;
      setRunning(false);
      showPrompt();
    });
  });

  // ---- files in and out -------------------------------------------------

  const transfers = PolyrunTransfers.attach({
    socket,
    dropTarget: document.body,
    button: document.getElementById('upload-button'),
    picker: document.getElementById('upload-picker'),
    report: (text, state) => {
      transferStatus.hidden = false;
      transferStatus.textContent = text;
      transferStatus.className = `transfer-${state}`;
    },
  });

  // ---- the run panel ----------------------------------------------------

  document.getElementById('run-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (shell.running || !socket.connected) return;
    const language = document.getElementById('run-language').value;
    const code = document.getElementById('run-code').value;
    // Shown after the prompt, where a typed command would be.
    if (shell.line) replaceLine('');
    write(`${DIM}[run ${language}]${RESET}\r\n`);
    setRunning(true, `run ${language}`);
    socket.emit('run', { language, code });
    term.focus();
  });

  // Ctrl-C stops what runs from anywhere on the page (the terminal handles
  // its own), unless text is selected there to be copied.
  document.addEventListener('keydown', (event) => {
    const inTerminal = event.target instanceof Element && event.target.closest('#terminal');
    const copying = String(window.getSelection() || '').length > 0;
    if (event.ctrlKey && event.key.toLowerCase() === 'c' && shell.running && !inTerminal && !copying) {
      event.preventDefault();
      interrupt();
    }
  });

  // For tests and the curious: the terminal and the socket.
  window.polyrun = { term, socket };
})();
