// Drives polyrun's shell with the official socket.io-client v4, the way a
// browser would: default transports (long-polling, then the upgrade to
// WebSocket), commands, and a resume with the session id. Prints a JSON
// report for tests/sessions.rs to check.
'use strict';
const { io } = require('socket.io-client');

const base = process.argv[2];
const report = {};

// Resolves with the socket, the `session` event and the transports used.
function connect(auth) {
  return new Promise((resolve, reject) => {
    const socket = io(base, { auth, reconnection: false, forceNew: true });
    const transports = [];
    socket.io.on('open', () => {
      const engine = socket.io.engine;
      transports.push(engine.transport.name);
      engine.on('upgrade', (transport) => transports.push(transport.name));
    });
    const timer = setTimeout(() => reject(new Error('no session event')), 30000);
    socket.on('connect_error', (error) => reject(error));
    socket.on('session', (session) => {
      clearTimeout(timer);
      resolve({ socket, session, transports });
    });
  });
}

function run(socket, line) {
  return new Promise((resolve) => {
    const transcript = { stdout: '', stderr: '' };
    const out = (text) => { transcript.stdout += text; };
    const err = (text) => { transcript.stderr += text; };
    socket.on('output-success', out);
    socket.on('output-error', err);
    socket.once('exit', (exit) => {
      socket.off('output-success', out);
      socket.off('output-error', err);
      transcript.exit = exit;
      resolve(transcript);
    });
    socket.emit('input', line);
  });
}

async function main() {
  const { socket, session, transports } = await connect({});
  report.session = session;
  report.transports = transports;
  if (socket.io.engine.transport.name !== 'websocket') {
    await new Promise((resolve) => socket.io.engine.once('upgrade', resolve));
  }
  report.echo = await run(socket, 'echo hello from node');
  report.python = await run(socket, 'python3 -c "print(6*7)"');
  report.forbidden = await run(socket, 'ssh example.com');
  socket.disconnect();
  const again = await connect({ sessionId: session.sessionId });
  report.resumed = again.session;
  again.socket.disconnect();
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
