"""Drives polyrun's Judge0 API with the official Judge0 Python SDK (PyPI
`judge0`, installed by `cargo xtask test` in an environment of its own),
running its documented examples, and prints what it saw as one JSON object
for tests/judge0.rs to check. Usage: python client.py <base url> <token>"""

import json
import sys

import judge0

base, token = sys.argv[1:3]
client = judge0.Client(f"{base}/judge0", headers={"X-Auth-Token": token})


def seen(submission):
    return {
        "token": str(submission.token),
        "status": submission.status.value if submission.status else None,
        "stdout": submission.stdout,
        "stderr": submission.stderr,
        "compile_output": submission.compile_output,
        "exit_code": submission.exit_code,
        "time": submission.time,
        "memory": submission.memory,
    }


report = {"version": client.version, "languages": len(client.languages)}

# A single submission, run and waited for.
report["single"] = seen(
    judge0.run(client=client, source_code="print(f'hello {6 * 7}')", language=judge0.PYTHON)
)

# A batch: several submissions at once, in several languages.
batch = judge0.run(
    client=client,
    submissions=[
        judge0.Submission(source_code="print('from python')", language=judge0.PYTHON),
        judge0.Submission(
            source_code='#include <iostream>\nint main() { std::cout << "from c++" << std::endl; }',
            language=judge0.CPP,
        ),
        judge0.Submission(source_code="console.log('from javascript')", language=judge0.JAVASCRIPT),
        judge0.Submission(source_code="int main() { return undefined_name; }", language=judge0.C),
    ],
)
report["batch"] = [seen(submission) for submission in batch]

# Created now, waited for later.
created = judge0.async_run(
    client=client, source_code="import time\ntime.sleep(0.3)\nprint('waited')", language=judge0.PYTHON
)
report["created_status"] = created.status.value if created.status else None
report["waited"] = seen(judge0.wait(client=client, submissions=created))

# Test cases: one submission per case, each judged.
judged = judge0.run(
    client=client,
    source_code="a, b = map(int, input().split())\nprint(a + b)",
    language=judge0.PYTHON,
    test_cases=[
        judge0.TestCase(input="1 2", expected_output="3"),
        judge0.TestCase(input="2 2", expected_output="5"),
        judge0.TestCase(input="10 -4", expected_output="6"),
    ],
)
report["test_cases"] = [seen(submission) for submission in judged]

print(json.dumps(report))
