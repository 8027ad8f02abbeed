// polyrun: a JavaScript context's glue, evaluated by the context's first
// turn. A context is one QuickJS instance kept between runs, as the REPL
// keeps it between lines: globals and top-level declarations persist, and
// the value of each run's last expression is kept as text (util.inspect)
// for the host to ask for.
(() => {
  const { inspect } = require("util");
  // The longest value text kept; longer ones are cut.
  const MAX_VALUE = 65536;
  let text = null;
  let status = 0;

  function evaluate(code) {
    // `{ a: 1 }` is an object, as Node's REPL reads it, not a block.
    if (/^\s*\{/.test(code) && !/;\s*$/.test(code)) {
      try { return globalThis.__polyrun_compile(`(${code})`, "<context>"); } catch (error) { if (!(error instanceof SyntaxError)) throw error; }
    }
    return globalThis.__polyrun_compile(code, "<context>");
  }

  function describe(error) {
    if (!(error instanceof Error)) return `Uncaught ${inspect(error)}`;
    // The cell's own frames: the ones below them are this glue's.
    const lines = typeof error.stack === "string" ? error.stack.trimEnd().split("\n") : [];
    const glue = lines.findIndex((line) => line.includes("__polyrun_compile"));
    const stack = (glue < 0 ? lines : lines.slice(0, glue)).map((line) => `\n${line}`).join("");
    return `Uncaught ${error.name}: ${error.message}${stack}`;
  }

  Object.defineProperty(globalThis, "__polyrun_context", {
    value: {
      // One run: returns its status (1 after an exception it did not catch).
      run(code) {
        text = null;
        status = 0;
        let value;
        try {
          value = evaluate(code);
        } catch (error) {
          std.err.puts(`${describe(error)}\n`);
          std.err.flush();
          status = 1;
          return status;
        }
        if (value !== undefined) {
          globalThis._ = value;
          const shown = inspect(value);
          text = shown.length > MAX_VALUE ? `${shown.slice(0, MAX_VALUE)}…` : shown;
        }
        return 0;
      },
      // Writes the last run's status and value text to stdout as JSON, for
      // the host (in a turn of its own, so the run's output stays apart).
      value() {
        std.out.puts(JSON.stringify({ status, value: text }));
        std.out.flush();
        return 0;
      },
    },
    enumerable: false,
  });
  return 0;
})();
