//! TypeScript: transpiled by oxc in the host, run on QuickJS.

mod common;

use common::{Run, TestRoot, assert_output};
use polyrun::engine::Status;

#[tokio::test]
async fn interfaces_generics_enums_classes_and_imports_between_files() {
    let root = TestRoot::new();
    let sandbox = root.sandbox();
    sandbox
        .write_file(
            "lib/stack.ts",
            br#"export interface Sized { readonly size: number }
export class Stack<T> implements Sized {
  private items: T[] = [];
  constructor(private readonly label: string) {}
  push(item: T): this { this.items.push(item); return this; }
  pop(): T | undefined { return this.items.pop(); }
  get size(): number { return this.items.length; }
  toString(): string { return `${this.label}(${this.items.join(",")})`; }
}
export enum Direction { Up = 1, Down, Left, Right }
export const enum Answer { Yes = "yes", No = "no" }
"#,
        )
        .unwrap();
    let main = r#"import { Stack, Direction, Answer, type Sized } from "./lib/stack";

namespace Geometry {
  export const origin = { x: 0, y: 0 };
  export function distance(a: { x: number; y: number }, b = origin): number {
    return Math.hypot(a.x - b.x, a.y - b.y);
  }
}

function describe<T extends Sized>(thing: T): string {
  return `size ${thing.size}`;
}

const stack = new Stack<number>("nums").push(1).push(2).push(3);
console.log(String(stack), describe(stack), stack.pop());
console.log(Direction.Down, Direction[Direction.Right], Answer.Yes);
console.log(Geometry.distance({ x: 3, y: 4 }));
let maybe: string | null = null;
console.log(maybe ?? "default", (maybe as unknown as string)?.length);
"#;
    let outcome = Run::new("typescript", main).in_sandbox(&sandbox).await;
    assert_output(
        &outcome,
        "nums(1,2,3) size 3 3\n2 Right yes\n5\ndefault undefined\n",
    );
    assert!(
        !sandbox.exists("main.js"),
        "generated files leaked into the sandbox"
    );
}

#[tokio::test]
async fn decorators_and_parameter_properties() {
    let code = r#"
function log(target: any, key: string, descriptor: PropertyDescriptor) {
  const original = descriptor.value;
  descriptor.value = function (...args: any[]) {
    console.log(`-> ${key}(${args.join(", ")})`);
    return original.apply(this, args);
  };
}
class Calculator {
  constructor(public base: number, protected readonly name = "calc") {}
  @log
  add(n: number): number { return this.base + n; }
}
console.log(new Calculator(40).add(2));
"#;
    assert_output(&Run::new("ts", code).go().await, "-> add(2)\n42\n");
}

#[tokio::test]
async fn syntax_error_is_a_compile_error_with_file_line_and_column() {
    let code = "const ok: number = 1;\nlet bad = (;\nconsole.log(ok);\n";
    let outcome = Run::new("ts", code).go().await;
    assert_eq!(outcome.status, Status::CompileError);
    assert!(
        outcome.compile_output.starts_with("main.ts:2:12: error"),
        "{}",
        outcome.compile_output
    );
    assert!(
        outcome.compile_output.contains("error:"),
        "{}",
        outcome.compile_output
    );
    assert!(outcome.stdout.is_empty());
}

#[tokio::test]
async fn stack_traces_point_at_typescript_lines() {
    let code = r#"interface Point {
  x: number;
  y: number;
}

enum Level {
  Low,
  High,
}

type Maybe<T> = T | undefined;

function fail(p: Point, level: Level): never {
  throw new Error(`bad point ${p.x},${p.y} at ${Level[level]}`);
}

const point: Maybe<Point> = { x: 1, y: 2 };
fail(point!, Level.High);
"#;
    let outcome = Run::new("ts", code).go().await;
    assert_eq!(outcome.status, Status::RuntimeError);
    let stderr = outcome.stderr_lossy();
    assert!(stderr.contains("Error: bad point 1,2 at High"), "{stderr}");
    assert!(
        stderr.contains("main.ts:14:"),
        "throw is on line 14: {stderr}"
    );
    assert!(
        stderr.contains("main.ts:18:"),
        "call is on line 18: {stderr}"
    );
}

#[tokio::test]
async fn type_errors_are_not_checked() {
    let code = "const n: number = \"not a number\" as any as number;\nconst s: string = 42 as unknown as string;\nconsole.log(typeof n, typeof s);\n";
    assert_output(&Run::new("ts", code).go().await, "string number\n");
}

#[tokio::test]
async fn missing_import_is_a_runtime_error_naming_it() {
    let outcome = Run::new("ts", "import { x } from './nowhere';\nconsole.log(x);\n")
        .go()
        .await;
    assert_eq!(outcome.status, Status::RuntimeError);
    assert!(
        outcome.stderr_lossy().contains("nowhere"),
        "{}",
        outcome.stderr_lossy()
    );
}
