#!/usr/bin/env bash
# Rebuilds every NAME.out in this directory from a native build:
#
#   g++ -std=c++20 -O2 NAME.cpp -o BIN && BIN < NAME.in   (or < /dev/null)
#
# Fails if a program does not compile, exits non-zero, or writes anything
# to stderr. With --check, nothing is written: each program's stdout is
# compared with the existing NAME.out instead. Extra arguments restrict the
# run to the named programs (e.g. `./regenerate.sh 01_exceptions_basic`).
set -euo pipefail

cd "$(dirname "$0")"

CXX="${CXX:-g++}"
mode=write
names=()
for arg in "$@"; do
    case "$arg" in
        --check) mode=check ;;
        -h|--help)
            sed -n '2,9p' "$0"
            exit 0
            ;;
        *) names+=("${arg%.cpp}") ;;
    esac
done
if [ "${#names[@]}" -eq 0 ]; then
    for src in [0-9][0-9]_*.cpp; do
        names+=("${src%.cpp}")
    done
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failures=0
for name in "${names[@]}"; do
    src="$name.cpp"
    if [ ! -f "$src" ]; then
        echo "FAIL $name: no such program" >&2
        failures=$((failures + 1))
        continue
    fi
    bin="$work/$name"
    if ! "$CXX" -std=c++20 -O2 "$src" -o "$bin" 2>"$work/$name.cc.log"; then
        echo "FAIL $name: compilation failed" >&2
        cat "$work/$name.cc.log" >&2
        failures=$((failures + 1))
        continue
    fi

    input=/dev/null
    [ -f "$name.in" ] && input="$name.in"

    start=$(date +%s%N)
    rc=0
    "$bin" <"$input" >"$work/$name.stdout" 2>"$work/$name.stderr" || rc=$?
    end=$(date +%s%N)
    ms=$(((end - start) / 1000000))

    if [ "$rc" -ne 0 ]; then
        echo "FAIL $name: exit code $rc" >&2
        head -c 2000 "$work/$name.stderr" >&2 || true
        failures=$((failures + 1))
        continue
    fi
    if [ -s "$work/$name.stderr" ]; then
        echo "FAIL $name: wrote to stderr:" >&2
        head -c 2000 "$work/$name.stderr" >&2
        failures=$((failures + 1))
        continue
    fi

    note=""
    [ "$ms" -gt 300 ] && note="  (slow: over 0.3 s on this machine)"
    if [ "$mode" = check ]; then
        if cmp -s "$work/$name.stdout" "$name.out"; then
            echo "ok   $name ${ms}ms$note"
        else
            echo "FAIL $name: stdout differs from $name.out" >&2
            diff "$name.out" "$work/$name.stdout" | head -20 >&2 || true
            failures=$((failures + 1))
        fi
    else
        cp "$work/$name.stdout" "$name.out"
        echo "ok   $name ${ms}ms $(wc -l <"$name.out") lines$note"
    fi
done

if [ "$failures" -ne 0 ]; then
    echo "$failures program(s) failed" >&2
    exit 1
fi
echo "all ${#names[@]} program(s) passed ($mode mode)"
