#!/usr/bin/env bash
# Rebuilds every PROJECT/expected.out from a native build of the project:
#
#   g++ -std=c++20 -O2 PROJECT/*.cpp -o BIN && BIN < PROJECT/input.in
#
# (or < /dev/null). Headers a project lists in frameworks.txt (catch.hpp)
# come from the frameworks `cargo xtask test` fetched into
# tests/cpp/frameworks. With --check, each stdout is compared with the
# existing expected.out instead.
set -euo pipefail
cd "$(dirname "$0")"
frameworks="$(cd ../../../cpp/frameworks && pwd)"
mode=write
[ "${1:-}" = --check ] && mode=check
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
for project in */; do
    project="${project%/}"
    build="$work/$project"
    mkdir -p "$build"
    cp "$project"/* "$build"/
    if [ -f "$project/frameworks.txt" ]; then
        while read -r header; do
            found="$(find "$frameworks" -name "$header" | head -1)"
            cp "$found" "$build/$header"
        done <"$project/frameworks.txt"
    fi
    (cd "$build" && g++ -std=c++20 -O2 ./*.cpp -o program)
    input=/dev/null
    [ -f "$project/input.in" ] && input="$project/input.in"
    "$build/program" <"$input" >"$build/stdout"
    if [ "$mode" = check ]; then
        if cmp -s "$build/stdout" "$project/expected.out"; then
            echo "ok   $project"
        else
            echo "FAIL $project: stdout differs" >&2
            failures=$((failures + 1))
        fi
    else
        cp "$build/stdout" "$project/expected.out"
        echo "wrote $project/expected.out"
    fi
done
exit "$failures"
