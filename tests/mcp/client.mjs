// Drives polyrun's /mcp with the official MCP TypeScript SDK, as an agent
// would, and prints what it saw as one JSON object for tests/mcp.rs to
// check. Usage: node client.mjs <base url> <token>
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [base, token] = process.argv.slice(2);
const url = new URL("/mcp", base);

function connect(bearer) {
  const headers = bearer ? { Authorization: `Bearer ${bearer}` } : {};
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers } });
  const client = new Client({ name: "polyrun-test", version: "1.0.0" });
  return { client, transport, connected: client.connect(transport) };
}

// What a tool call returned: its error flag, text and structured content.
async function call(client, name, args) {
  const result = await client.callTool({ name, arguments: args });
  return {
    isError: result.isError === true,
    text: result.content.map((item) => item.text ?? "").join(""),
    structured: result.structuredContent ?? null,
  };
}

const report = {};
try {
  await connect(null).connected;
  report.withoutToken = "connected";
} catch (error) {
  report.withoutToken = String(error.message ?? error);
}

const { client, transport, connected } = connect(token);
await connected;
report.sessionId = transport.sessionId ?? null;
report.protocolVersion = transport.protocolVersion ?? null;
report.server = client.getServerVersion();
const tools = await client.listTools();
report.tools = tools.tools.map((tool) => ({ name: tool.name, schema: tool.inputSchema }));

report.python = await call(client, "run_code", { language: "python", code: "print(sum(range(10)))" });
report.javascript = await call(client, "run_code", {
  language: "javascript",
  code: "console.log([1, 2, 3].map((n) => n * 2).join(','))",
  stdin: "",
});
report.failing = await call(client, "run_code", {
  language: "python",
  code: "def f():\n    raise ValueError('bad input')\nf()\n",
});
report.unknownLanguage = await call(client, "run_code", { language: "cobol", code: "x" });
report.tests = await call(client, "run_code", {
  language: "python",
  code: "a, b = map(int, input().split())\nprint(a + b)",
  tests: [
    { stdin: "1 2", expectedOutput: "3" },
    { stdin: "5 5", expectedOutput: "11" },
  ],
});
report.languages = await call(client, "list_languages", {});

const created = await call(client, "create_context", { language: "python" });
report.created = created;
const contextId = created.structured?.contextId;
report.cell1 = await call(client, "run_code", {
  language: "python",
  contextId,
  code: "import json\ndata = {'n': 41}\nopen('out/result.json', 'w') if False else None\nimport os\nos.makedirs('out', exist_ok=True)\nopen('out/result.json', 'w').write(json.dumps(data))\ndata['n'] + 1",
});
report.cell2 = await call(client, "run_code", { language: "python", contextId, code: "data['n']" });
report.readBack = await call(client, "read_file", { contextId, path: "out/result.json" });
report.written = await call(client, "write_file", { contextId, path: "in/note.txt", content: "from the agent" });
report.cell3 = await call(client, "run_code", { language: "python", contextId, code: "open('in/note.txt').read()" });
report.installed = await call(client, "install_packages", { contextId, packages: ["click==8.1.7"] });
report.cell4 = await call(client, "run_code", { language: "python", contextId, code: "import click\nclick.__version__" });
report.installConflict = await call(client, "install_packages", { contextId, packages: ["click==1.0"] });
report.escape = await call(client, "read_file", { contextId, path: "../../etc/passwd" });
report.missing = await call(client, "read_file", { contextId, path: "no/such/file.txt" });
report.tooLarge = await call(client, "write_file", { contextId, path: "big.txt", content: "x".repeat(2 << 20) });
report.wrongLanguage = await call(client, "run_code", { language: "javascript", contextId, code: "1" });
report.deleted = await call(client, "delete_context", { contextId });
report.afterDelete = await call(client, "run_code", { language: "python", contextId, code: "1" });

await transport.terminateSession().catch(() => {});
await client.close();
console.log(JSON.stringify(report));
