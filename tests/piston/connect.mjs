// Drives polyrun's Piston WebSocket (/api/v2/connect) with a raw
// WebSocket client, as Piston's interactive users do, and prints every
// conversation as one JSON object for tests/piston.rs to check.
// Usage: node connect.mjs <base url>
import WebSocket from "ws";

const [base] = process.argv.slice(2);
const url = base.replace(/^http/, "ws") + "/api/v2/connect";

// Opens a socket and sends each step's message once its condition holds
// (`after`: that many messages received; `seen`: the program's stdout so
// far contains it); resolves with what the server sent and how it closed.
function converse(steps, { timeout = 20000 } = {}) {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    const received = [];
    let stdout = "";
    let next = 0;
    const ready = (step) =>
      received.length >= (step.after ?? 0) && (step.seen === undefined || stdout.includes(step.seen));
    const pump = () => {
      while (next < steps.length && ready(steps[next])) {
        const step = steps[next++];
        socket.send(typeof step.send === "string" ? step.send : JSON.stringify(step.send));
      }
    };
    const timer = setTimeout(() => socket.terminate(), timeout);
    socket.on("open", pump);
    socket.on("message", (data) => {
      const message = JSON.parse(data.toString());
      received.push(message);
      if (message.type === "data" && message.stream === "stdout") stdout += message.data;
      pump();
    });
    socket.on("close", (code, reason) => {
      clearTimeout(timer);
      resolve({ received, stdout, code, reason: reason.toString() });
    });
    socket.on("error", (error) => received.push({ clientError: String(error) }));
  });
}

const init = (language, content, extra = {}) => ({
  send: { type: "init", language, version: "*", files: [{ content }], ...extra },
});
const report = {};
// An echo loop: stdin sent while it runs comes back, then a kill ends it.
report.interactive = await converse([
  init("python", "import sys\nfor line in sys.stdin:\n    print('echo', line.strip(), flush=True)"),
  { after: 2, send: { type: "data", stream: "stdin", data: "one\n" } },
  { seen: "echo one\n", send: { type: "data", stream: "stdin", data: "two\n" } },
  { seen: "echo two\n", send: { type: "signal", signal: "SIGKILL" } },
]);
report.compiled = await converse([
  init("c++", "#include <iostream>\nint main() { std::string s; std::cin >> s; std::cout << s.size() << std::endl; return 2; }", { stdin: "hello\n" }),
]);
report.compileError = await converse([init("c", "int main() { return nope; }")]);
report.noInit = await converse([]);
report.dataFirst = await converse([{ send: { type: "data", stream: "stdin", data: "x" } }]);
report.twice = await converse([
  init("python", "import time\ntime.sleep(5)"),
  { after: 2, send: { type: "init", language: "python", version: "*", files: [{ content: "" }] } },
]);
report.badSignal = await converse([
  init("python", "import time\ntime.sleep(5)"),
  { after: 2, send: { type: "signal", signal: "SIGNOPE" } },
]);
report.stdout = await converse([
  init("python", "import time\ntime.sleep(5)"),
  { after: 2, send: { type: "data", stream: "stdout", data: "x" } },
]);
report.unknown = await converse([init("cobol", "")]);
report.notJson = await converse([{ send: "{nope" }]);
console.log(JSON.stringify(report));
