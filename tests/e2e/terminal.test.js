// The browser terminal end to end: the real server, Debian's Chromium,
// playwright-core. Run by `cargo xtask e2e` (and `cargo xtask test`), which
// provides POLYRUN_BIN, RUNTIMES_DIR, CHROMIUM and E2E_ARTIFACTS.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { chromium } = require('playwright-core');

const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const PATIENCE_MS = 60000;

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run this through cargo xtask e2e)`);
  return value;
}

/** Starts `polyrun serve` on an ephemeral port; resolves with its base URL. */
function startServer(users) {
  const server = spawn(env('POLYRUN_BIN'), [], {
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: '0',
      RUNTIMES_DIR: env('RUNTIMES_DIR'),
      USER_BASE_DIR: users,
      PACKAGE_INDEX_URL: env('PACKAGE_INDEX_URL'),
      PACKAGE_CACHE_DIR: path.join(users, '..', `${path.basename(users)}-packages`),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs = [];
  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server never said it was listening')), PATIENCE_MS);
    readline.createInterface({ input: server.stdout }).on('line', (line) => {
      let log;
      try { log = JSON.parse(line); } catch { return; }
      logs.push(log);
      if (log.message === 'listening') {
        clearTimeout(timer);
        resolve(`http://${log.addr}`);
      }
    });
    server.on('exit', (code) => reject(new Error(`the server exited (${code})`)));
  });
  return { server, logs, listening };
}

async function waitHealthy(base) {
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    try {
      const health = await (await fetch(`${base}/health`)).json();
      if (health.status === 'healthy') return;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error('the server never became healthy');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The terminal's text, line by line, read from xterm's buffer. */
function screen(page) {
  return page.evaluate(() => {
    const buffer = window.polyrun.term.buffer.active;
    const lines = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i).translateToString(true));
    return lines;
  });
}

async function waitForLine(page, predicate, what) {
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    const lines = await screen(page);
    if (lines.some(predicate)) return lines;
    if (Date.now() > deadline) throw new Error(`never saw ${what}; the screen:\n${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A prompt line, empty or with what was typed after it.
const isPrompt = (line) => /^polyrun:~[^$]*\$/.test(line);
const promptCount = async (page) => (await screen(page)).filter(isPrompt).length;
const lastPrompt = async (page) => (await screen(page)).filter(isPrompt).pop() || '';

async function typeLine(page, text) {
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

/** Types a command and waits for its output line and the next prompt. */
async function command(page, text, expected) {
  const prompts = await promptCount(page);
  await typeLine(page, text);
  await waitForLine(page, (line) => line.trimEnd() === expected, `'${expected}' after '${text}'`);
  await waitUntil(async () => (await promptCount(page)) > prompts, `the prompt after '${text}'`);
}

/** Pixels of one colour (within a little) on the image addon's layer. */
function countPixels(page, [r, g, b]) {
  return page.evaluate(([r, g, b]) => {
    const layer = document.querySelector('.xterm-image-layer');
    if (!layer || !layer.width || !layer.height) return 0;
    // Read from a copy: reading the layer itself over and over makes
    // Chromium warn, and warnings fail this test.
    const copy = document.createElement('canvas');
    copy.width = layer.width;
    copy.height = layer.height;
    const context = copy.getContext('2d', { willReadFrequently: true });
    context.drawImage(layer, 0, 0);
    const pixels = context.getImageData(0, 0, layer.width, layer.height).data;
    let count = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const near = Math.abs(pixels[i] - r) < 16 && Math.abs(pixels[i + 1] - g) < 16 && Math.abs(pixels[i + 2] - b) < 16;
      if (near && pixels[i + 3] > 240) count += 1;
    }
    return count;
  }, [r, g, b]);
}

async function waitUntil(condition, what) {
  const deadline = Date.now() + PATIENCE_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function main() {
  const users = fs.mkdtempSync(path.join(os.tmpdir(), 'polyrun-e2e-'));
  const artifacts = env('E2E_ARTIFACTS');
  fs.mkdirSync(artifacts, { recursive: true });
  const { server, listening } = startServer(users);
  let browser;
  try {
    const base = await listening;
    await waitHealthy(base);
    const origin = new URL(base).host;

    browser = await chromium.launch({ executablePath: env('CHROMIUM'), headless: true, args: CHROMIUM_FLAGS });
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const requests = [];
    const problems = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('websocket', (socket) => requests.push(socket.url()));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));

    // 1-2. The page, its headers, and the prompt.
    const response = await page.goto(`${base}/`);
    const headers = response.headers();
    check(headers['content-security-policy'].includes("default-src 'self'"), 'no strict CSP');
    check(!headers['content-security-policy'].includes('unsafe-inline'), 'the CSP allows inline code');
    check(headers['x-content-type-options'] === 'nosniff', 'no nosniff');
    check(headers['referrer-policy'] === 'no-referrer', 'no referrer policy');
    await waitForLine(page, isPrompt, 'the prompt');
    await page.waitForSelector('#connection.state-connected');
    const directory = await page.textContent('#directory');
    check(/^user_[A-Za-z0-9]+$/.test(directory), `no sandbox name shown: '${directory}'`);
    await page.click('#terminal');

    // 3. echo
    await command(page, 'echo hello', 'hello');

    // 4. Python through the shell.
    await command(page, 'python3 -c "print(6*7)"', '42');

    // Line editing: backspace, arrows, history; the prompt follows cd.
    await page.keyboard.type('echo abc');
    await page.keyboard.press('Backspace');
    await command(page, 'd', 'abd');
    await page.keyboard.type('echo xz');
    await page.keyboard.press('ArrowLeft');
    await command(page, 'y', 'xyz');
    const beforeHistory = await promptCount(page);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await waitUntil(async () => (await screen(page)).filter((l) => l.trimEnd() === 'xyz').length === 2, 'the recalled command');
    await waitUntil(async () => (await promptCount(page)) > beforeHistory, 'the prompt after history');
    await typeLine(page, 'mkdir -p work && cd work');
    await waitUntil(async () => (await lastPrompt(page)).startsWith('polyrun:~/work$'), 'the prompt in ~/work');
    await typeLine(page, 'cd');
    await waitUntil(async () => (await lastPrompt(page)).startsWith('polyrun:~$'), 'the prompt back at ~');

    // Tab completes command names and sandbox paths.
    await command(page, 'mkdir -p tabdir && echo tabbed > tabdir/only_file.txt && echo made', 'made');
    await page.keyboard.type('ech');
    await page.keyboard.press('Tab');
    await waitUntil(async () => (await lastPrompt(page)).trimEnd().endsWith('$ echo'), 'the command name completed');
    for (let i = 0; i < 5; i++) await page.keyboard.press('Backspace');
    await page.keyboard.type('cat tabd');
    await page.keyboard.press('Tab');
    await waitUntil(async () => (await lastPrompt(page)).endsWith('cat tabdir/'), 'the directory completed');
    await page.keyboard.press('Tab');
    await waitUntil(async () => (await lastPrompt(page)).trimEnd().endsWith('cat tabdir/only_file.txt'), 'the file completed');
    await page.keyboard.press('Enter');
    await waitForLine(page, (line) => line.trimEnd() === 'tabbed', 'the completed file printed');

    // Files in: one dropped on the page, one picked with the Upload button
    // (several pieces), each read back in the shell.
    const dropped = await page.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['dropped text\n'], 'dropped.txt', { type: 'text/plain' }));
      return transfer;
    });
    await page.dispatchEvent('body', 'drop', { dataTransfer: dropped });
    await page.waitForSelector('#transfer.transfer-done');
    check((await page.textContent('#transfer')).includes('uploaded dropped.txt'), 'no upload reported');
    await command(page, 'cat dropped.txt', 'dropped text');
    const big = Buffer.alloc(200000, 'z');
    await page.setInputFiles('#upload-picker', { name: 'big.txt', mimeType: 'text/plain', buffer: big });
    await waitUntil(async () => (await page.textContent('#transfer')).includes('uploaded big.txt'), 'the picked upload');
    await command(page, 'wc -c < big.txt', '200000');

    // Files out: `download` saves through the browser.
    await command(page, 'seq 1 5000 > numbers.txt && echo written', 'written');
    const [saved] = await Promise.all([page.waitForEvent('download'), typeLine(page, 'download numbers.txt')]);
    check(saved.suggestedFilename() === 'numbers.txt', `downloaded as ${saved.suggestedFilename()}`);
    const numbers = fs.readFileSync(await saved.path(), 'utf8');
    const expected = Array.from({ length: 5000 }, (_, i) => `${i + 1}\n`).join('');
    check(numbers === expected, `the download differs (${numbers.length} bytes)`);
    // So does a click on a file that ls lists.
    await command(page, 'ls', 'numbers.txt');
    // The terminal's buffer has the line before its rows are drawn (on the
    // next animation frame): wait for the row on the screen.
    const listedRow = () =>
      page.evaluate(() => {
        const rows = [...document.querySelectorAll('.xterm-rows > div')];
        const found = rows.filter((r) => r.textContent.trimEnd() === 'numbers.txt').pop();
        const box = found && found.getBoundingClientRect();
        return box && { x: box.x, y: box.y, height: box.height };
      });
    await waitUntil(async () => Boolean(await listedRow()), 'ls to list numbers.txt on the screen');
    const row = await listedRow();
    check(row, 'ls did not list numbers.txt on the screen');
    await page.mouse.move(row.x + 12, row.y + row.height / 2);
    const [clicked] = await Promise.all([page.waitForEvent('download'), page.mouse.click(row.x + 12, row.y + row.height / 2)]);
    check(fs.readFileSync(await clicked.path(), 'utf8') === expected, 'the clicked download differs');

    // Pictures: a matplotlib figure from plt.show(), drawn in the terminal.
    await typeLine(page, 'python3 -c "import matplotlib.pyplot as plt; f = plt.figure(figsize=(2, 1), dpi=100); f.patch.set_facecolor(\'#ff0000\'); plt.show()"');
    await waitUntil(async () => (await countPixels(page, [255, 0, 0])) > 10000, 'the red figure in the terminal');
    // And an SVG, rasterised by the page.
    await command(
      page,
      `echo '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60"><rect width="120" height="60" fill="#00ff00"/></svg>' > green.svg && echo drawn`,
      'drawn',
    );
    await typeLine(page, 'show green.svg');
    await waitUntil(async () => (await countPixels(page, [0, 255, 0])) > 5000, 'the green SVG in the terminal');
    await command(page, 'show numbers.txt; echo $?', '1');

    // A running program shows in the header, and Ctrl-C stops it from
    // anywhere on the page.
    await typeLine(page, 'python3 -c "while True: pass"');
    await page.waitForSelector('#process:not([hidden])');
    const running = await page.textContent('#process');
    check(running.includes('python3 -c'), `the header does not name the program: '${running}'`);
    const promptsBeforeStop = await promptCount(page);
    await page.click('header h1');
    await page.keyboard.press('Control+C');
    await page.waitForSelector('#process[hidden]', { state: 'attached' });
    await waitUntil(async () => (await promptCount(page)) > promptsBeforeStop, 'the prompt after Ctrl-C from the header');
    await page.click('#terminal');

    // A running program reads typed lines, echoed.
    await typeLine(page, 'python3 -c "print(\'hello\', input(\'name? \'))"');
    await waitForLine(page, (line) => line.startsWith('name? '), 'the program prompt');
    await command(page, 'Ada', 'hello Ada');
    await waitForLine(page, (line) => line.trimEnd() === 'name? Ada', 'the echoed input');

    // A package from the index (a static PEP 503 index the test serves),
    // drawing bold in xterm as it would in any terminal.
    await typeLine(page, `pip install -q rich && python3 -c "from rich.console import Console; Console().print('[bold]ok')"`);
    await waitForLine(page, (line) => line.trimEnd() === 'ok', 'rich printing ok');
    const bold = await page.evaluate(() => {
      const buffer = window.polyrun.term.buffer.active;
      for (let i = buffer.length - 1; i >= 0; i--) {
        const line = buffer.getLine(i);
        if (line.translateToString(true) === 'ok') return line.getCell(0).isBold() !== 0;
      }
      return null;
    });
    check(bold === true, `rich's ok is not bold in the terminal: ${bold}`);

    // 5. A forbidden command, in red: in the terminal's buffer, and as painted.
    const violation = "security violation: 'sudo' is not allowed";
    await command(page, 'sudo ls', violation);
    const colour = await page.evaluate((text) => {
      const buffer = window.polyrun.term.buffer.active;
      for (let i = 0; i < buffer.length; i++) {
        const line = buffer.getLine(i);
        if (line.translateToString(true) === text) {
          const cell = line.getCell(0);
          return { palette: cell.isFgPalette(), colour: cell.getFgColor() };
        }
      }
      return null;
    }, violation);
    check(colour && colour.palette && colour.colour === 1, `the violation is not red: ${JSON.stringify(colour)}`);
    // xterm paints the buffer on its next animation frame: the row may
    // not be in the page yet when the buffer already holds it.
    let painted = null;
    await waitUntil(async () => {
      painted = await page.evaluate((text) => {
        const rows = [...document.querySelectorAll('.xterm-rows > div')];
        const row = rows.find((r) => r.textContent.trimEnd() === text);
        const span = row && row.querySelector('span');
        return span ? getComputedStyle(span).color : null;
      }, violation);
      return painted !== null;
    }, 'the violation painted in the page');
    const [r, g, b] = (painted || '').match(/\d+/g)?.map(Number) ?? [0, 0, 0];
    check(r > 150 && g < 100 && b < 100, `the violation is not painted red: ${painted}`);

    // Program output is terminal text only: colours pass, control strings
    // (window title, hyperlinks, clipboard) do not reach xterm.
    await page.evaluate(() => {
      window.titles = [];
      window.polyrun.term.onTitleChange((title) => window.titles.push(title));
    });
    await command(
      page,
      String.raw`python3 -c "print('\x1b]0;pwned\x07\x1b]8;;https://example.com/\x07link\x1b]8;;\x07 \x1b]52;c;cHduZWQ=\x07\x1b[32mgreen\x1b[0m')"`,
      'link green',
    );
    const titles = await page.evaluate(() => window.titles);
    check(titles.length === 0, `a program set the title: ${titles}`);
    const green = await page.evaluate(() => {
      const buffer = window.polyrun.term.buffer.active;
      for (let i = buffer.length - 1; i >= 0; i--) {
        const line = buffer.getLine(i);
        if (line.translateToString(true) === 'link green') return line.getCell(5).getFgColor();
      }
      return null;
    });
    check(green === 2, `colours did not pass through: ${green}`);

    // 6. The run panel's editor, with C++: typed, highlighted, run.
    const panelCode = '#include <iostream>\nint main() { std::cout << "from the panel " << 6 * 7 << std::endl; }';
    await page.selectOption('#run-language', 'c++');
    await page.click('#run-editor .cm-content');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(panelCode);
    const edited = await page.evaluate(() => window.polyrun.editor.state.doc.toString());
    check(edited === panelCode, `the editor holds something else:\n${edited}`);
    const highlighting = await page.evaluate(() => {
      const root = document.getElementById('run-editor').shadowRoot;
      const colours = new Set();
      for (const token of root.querySelectorAll('.cm-line span')) colours.add(getComputedStyle(token).color);
      const keyword = [...root.querySelectorAll('.cm-line span')].find((s) => s.textContent === 'int');
      const plain = getComputedStyle(root.querySelector('.cm-line')).color;
      return { colours: colours.size, keyword: keyword && getComputedStyle(keyword).color, plain };
    });
    check(highlighting.colours >= 3, `too few colours in the editor: ${JSON.stringify(highlighting)}`);
    check(highlighting.keyword && highlighting.keyword !== highlighting.plain, `'int' is not highlighted: ${JSON.stringify(highlighting)}`);
    const before = await promptCount(page);
    await page.click('#run-button');
    await waitForLine(page, (line) => line.trimEnd() === 'from the panel 42', 'the run panel output');
    await waitUntil(async () => (await promptCount(page)) > before, 'the prompt after the run');
    await page.click('#terminal');

    // 7. An infinite loop, Ctrl-C, and the prompt back.
    const looping = await promptCount(page);
    await typeLine(page, 'python3 -c "import itertools; print(\'spinning\', flush=True); [0 for _ in itertools.count()]"');
    await waitForLine(page, (line) => line.trimEnd() === 'spinning', 'the loop start');
    await page.keyboard.press('Control+C');
    await waitUntil(async () => (await promptCount(page)) > looping, 'the prompt after Ctrl-C');
    await command(page, 'echo $?', '130');

    // 8. A screenshot for the build artifacts.
    await command(page, 'echo persisted > note.txt; ls', 'note.txt');
    const screenshot = path.join(artifacts, 'terminal.png');
    await page.screenshot({ path: screenshot });

    // The terminal follows the window's size.
    const wide = await page.evaluate(() => window.polyrun.term.cols);
    await page.setViewportSize({ width: 900, height: 600 });
    await waitUntil(async () => (await page.evaluate(() => window.polyrun.term.cols)) < wide, 'the terminal to fit a smaller window');

    // A dropped connection: the page says so, reconnects and resumes.
    await page.evaluate(() => window.polyrun.socket.io.engine.close());
    await waitUntil(async () => (await screen(page)).filter((l) => l.includes('[resumed session')).length === 1, 'the resumed session after a drop');
    await page.waitForSelector('#connection.state-connected');
    await command(page, 'cat note.txt', 'persisted');

    // After a reload: the same session, the same files.
    await page.reload();
    await waitForLine(page, (line) => line.includes('[resumed session'), 'the resumed session after the reload');
    check((await page.textContent('#directory')) === directory, 'a reload changed the sandbox');
    await page.waitForSelector('#run-editor .cm-content');
    const kept = await page.evaluate(() => window.polyrun.editor.state.doc.toString());
    check(kept === panelCode, `the editor's text did not survive the reload:\n${kept}`);
    check((await page.inputValue('#run-language')) === 'c++', 'the language did not survive the reload');
    await page.click('#terminal');
    await command(page, 'cat note.txt', 'persisted');

    // The README's screenshot: a plot from the run panel, drawn inline.
    const plot = [
      'import numpy as np',
      'import matplotlib.pyplot as plt',
      '',
      'x = np.linspace(0, 4 * np.pi, 400)',
      'fig, ax = plt.subplots(figsize=(6.4, 3.2), dpi=80)',
      'ax.plot(x, np.sin(x), label="sin x")',
      'ax.plot(x, np.cos(x) * np.exp(-x / 8), label="damped cos x")',
      'ax.set_title("Drawn inline by plt.show()")',
      'ax.legend()',
      'plt.show()',
      '',
    ].join('\n');
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.selectOption('#run-language', 'python');
    await page.evaluate((text) => {
      const editor = window.polyrun.editor;
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text } });
    }, plot);
    await page.click('#terminal');
    await page.keyboard.press('Control+L');
    const beforePlot = await promptCount(page);
    await page.click('#run-button');
    await waitUntil(async () => (await promptCount(page)) > beforePlot, 'the prompt after the plot');
    await waitUntil(async () => (await countPixels(page, [31, 119, 180])) > 300, 'the plotted line');
    await page.screenshot({ path: path.join(artifacts, 'terminal-plot.png') });

    // The API reference renders the server's own document, offline, under
    // the same policy.
    await page.goto(`${base}/docs`);
    const documented = () => page.$$eval('.opblock-summary-path', (paths) => paths.map((p) => p.textContent.trim()));
    await waitUntil(async () => (await documented()).includes('/run/{language}'), 'the API reference');
    for (const route of ['/executions/{id}', '/health', '/ready', '/metrics', '/openapi.json']) {
      check((await documented()).includes(route), `/docs does not show ${route}`);
    }

    // Nothing left for another origin.
    const foreign = requests.filter((url) => new URL(url).host !== origin);
    check(foreign.length === 0, `requests to other origins: ${foreign.join(', ')}`);
    check(requests.some((url) => url.startsWith('ws://')), 'the terminal never used a WebSocket');
    // No CSP violations or script errors (404s of optional files aside).
    const real = problems.filter((text) => !text.includes('favicon'));
    check(real.length === 0, `console errors:\n${real.join('\n')}`);

    console.log(`e2e: all checks passed; screenshot at ${screenshot}`);
  } finally {
    if (browser) await browser.close();
    server.kill();
    fs.rmSync(users, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`e2e: FAILED: ${error.stack || error}`);
  process.exit(1);
});
