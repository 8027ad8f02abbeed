// Drives polyrun's Piston API with the npm piston-client, as a Piston
// user's code would, and prints what it saw as one JSON object for
// tests/piston.rs to check. Usage: node client.mjs <base url>
import piston from "piston-client";

const [base] = process.argv.slice(2);
const client = piston({ server: base });

const programs = {
  python: "import sys\nprint('py', input(), sys.argv[1:])",
  javascript: "const fs = require('fs');\nconsole.log('js', fs.readFileSync(0, 'utf8').trim(), process.argv.slice(2).join(','))",
  typescript: "const n: number = 6 * 7;\nconsole.log(`ts ${n}`)",
  c: "#include <stdio.h>\nint main(int argc, char **argv) { char s[32]; scanf(\"%31s\", s); printf(\"c %s %d\\n\", s, argc - 1); return 0; }",
  "c++": "#include <iostream>\n#include <string>\nint main(int argc, char **argv) { std::string s; std::cin >> s; std::cout << \"c++ \" << s << ' ' << argc - 1 << std::endl; }",
};

const report = { runtimes: await client.runtimes(), execute: {} };
for (const [language, code] of Object.entries(programs)) {
  // The client's own defaults: the latest version listed, args 1 2 3.
  report.execute[language] = await client.execute(language, code, { stdin: "hello" });
}
report.failing = await client.execute("python", "import sys\nprint('out')\nsys.exit(3)");
report.compileError = await client.execute("c++", "int main() { return undefined_name; }");
report.timeout = await client.execute("python", "while True: pass", { runTimeout: 300 });
report.files = await client.execute({
  language: "python",
  version: "*",
  files: [
    { name: "main.py", content: "import helper\nprint(helper.greet())" },
    { name: "helper.py", content: "def greet():\n    return 'from a second file'" },
  ],
  args: [],
});
report.unknown = await client.execute("cobol", "DISPLAY 'hi'.", { version: "*" });
report.badVersion = await client.execute("python", "print(1)", { version: "2.7.18" });
console.log(JSON.stringify(report));
