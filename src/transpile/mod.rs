//! TypeScript to JavaScript in the host, with oxc: types are stripped and
//! enums, namespaces, parameter properties and (legacy) decorators are
//! transformed. Types are not checked, as with `tsx`, `ts-node
//! --transpile-only`, Deno and Bun.
//!
//! The output keeps every statement on the line it had in the source, so
//! that line numbers in stack traces point at the TypeScript. oxc's code
//! generator does not keep lines, so we use its source map to push each
//! generated line down to its original line, or join it onto the current
//! line when the transform made extra lines (an enum becomes several).
//!
//! oxc recurses once per level of the syntax tree, and a stack overflow
//! aborts the process. So a file is first checked against a nesting bound
//! ([`nesting`]), and [`transpile`] must run on a large stack
//! ([`crate::deep_stack`]), never on an async worker.
//!
//! - [`nesting`]: the bound on nesting, checked before oxc sees a file.
//! - [`program`]: a program's files, transpiled into a directory to mount.
//! - [`worker`]: the child process that transpiles.
//! - `cache`: what self-contained programs transpiled to, by their source.

pub mod cache;
pub mod nesting;
pub mod program;
pub mod worker;

use std::path::Path;

use oxc::allocator::Allocator;
use oxc::ast::ast::{Program, Statement};
use oxc::codegen::{Codegen, CodegenOptions, CommentOptions};
use oxc::diagnostics::OxcDiagnostic;
use oxc::parser::Parser;
use oxc::semantic::SemanticBuilder;
use oxc::span::SourceType;
use oxc::transformer::{HelperLoaderMode, TransformOptions, Transformer};

/// JavaScript made from one TypeScript file.
#[derive(Debug)]
pub struct Transpiled {
    pub code: String,
    /// The file's relative import specifiers, as rewritten by the resolver.
    pub imports: Vec<String>,
}

/// Transpiles `source`; `file_name` appears in diagnostics. `resolve` sees
/// every static import and re-export specifier and may replace it.
/// On failure, returns the diagnostics as `file:line:column: error: …`.
///
/// Call it on a [`crate::deep_stack`] thread: within the nesting bound it
/// checks first, the tree can still be thousands of levels deep.
pub fn transpile(
    source: &str,
    file_name: &str,
    resolve: impl FnMut(&str) -> Option<String>,
) -> Result<Transpiled, String> {
    nesting::check(source).map_err(|too_deep| format!("{file_name}:{too_deep}\n"))?;
    // oxc is a large parser fed untrusted input: a panic in it must become
    // an error for this program, not take the server down.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        transpile_unguarded(source, file_name, resolve)
    }))
    .unwrap_or_else(|_| {
        Err(format!(
            "{file_name}: error: the TypeScript transpiler failed on this file\n"
        ))
    })
}

fn transpile_unguarded(
    source: &str,
    file_name: &str,
    mut resolve: impl FnMut(&str) -> Option<String>,
) -> Result<Transpiled, String> {
    let allocator = Allocator::default();
    let source_type = SourceType::ts().with_module(true);
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if parsed.diagnostics.has_errors() || parsed.panicked {
        return Err(render(parsed.diagnostics.into_iter(), source, file_name));
    }
    let mut program = parsed.program;
    let semantic = SemanticBuilder::new()
        .with_check_syntax_error(true)
        .with_excess_capacity(2.0)
        .with_enum_eval(true)
        .build(&program);
    if semantic.diagnostics.has_errors() {
        return Err(render(semantic.diagnostics.into_iter(), source, file_name));
    }
    let scoping = semantic.semantic.into_scoping();

    let imports = rewrite_imports(&allocator, &mut program, &mut resolve);

    let mut options = TransformOptions::default();
    options.decorator.legacy = true;
    // Helpers come from a global we define (see HELPERS), not from an npm
    // package the sandbox does not have.
    options.helper_loader.mode = HelperLoaderMode::External;
    let transformed = Transformer::new(&allocator, Path::new(file_name), &options)
        .build_with_scoping(scoping, &mut program);
    if transformed.diagnostics.has_errors() {
        return Err(render(
            transformed.diagnostics.into_iter(),
            source,
            file_name,
        ));
    }

    let generated = Codegen::new()
        .with_options(CodegenOptions {
            // No comments: joining lines must never swallow code into a
            // `//` comment.
            comments: CommentOptions::disabled(),
            source_map_path: Some(file_name.into()),
            ..CodegenOptions::default()
        })
        .build(&program);
    let mut code = match generated.map {
        Some(map) => align_lines(&generated.code, &map),
        None => generated.code,
    };
    if code.contains("babelHelpers.") {
        // On the first line, so no line moves.
        code.insert_str(0, HELPERS);
    }
    Ok(Transpiled { code, imports })
}

/// Transpiles one file where nothing it holds can harm this process: in a
/// worker process when one is configured ([`worker`]), else on a large
/// stack here. Returns the JavaScript, or diagnostics.
pub async fn transpile_isolated(source: String, file_name: String) -> Result<String, String> {
    match worker::executable() {
        Some(executable) => {
            let args = [std::ffi::OsStr::new("--file-name"), file_name.as_ref()];
            worker::run(executable, &args, source.as_bytes())
                .await
                .map(|js| String::from_utf8_lossy(&js).into_owned())
        }
        None => {
            crate::deep_stack::run(move || transpile(&source, &file_name, |_| None).map(|t| t.code))
                .await
                .unwrap_or_else(|e| Err(format!("error: the TypeScript transpiler failed: {e}\n")))
        }
    }
}

/// The transform helpers oxc's output calls (TypeScript's legacy decorator
/// helpers), defined once per realm.
const HELPERS: &str = "globalThis.babelHelpers ??= { \
decorate(decorators, target, key, desc) { var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d; \
for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r; \
return c > 3 && r && Object.defineProperty(target, key, r), r; }, \
decorateParam(index, decorator) { return function (target, key) { decorator(target, key, index); }; }, \
decorateMetadata(key, value) { if (typeof Reflect === \"object\" && typeof Reflect.metadata === \"function\") return Reflect.metadata(key, value); } }; ";

fn rewrite_imports<'a>(
    allocator: &'a Allocator,
    program: &mut Program<'a>,
    resolve: &mut impl FnMut(&str) -> Option<String>,
) -> Vec<String> {
    let mut imports = Vec::new();
    for statement in program.body.iter_mut() {
        let source = match statement {
            Statement::ImportDeclaration(import) => Some(&mut import.source),
            Statement::ExportAllDeclaration(export) => Some(&mut export.source),
            Statement::ExportFromDeclaration(export) => Some(&mut export.source),
            _ => None,
        };
        let Some(source) = source else { continue };
        let specifier = source.value.as_str().to_owned();
        if let Some(replacement) = resolve(&specifier) {
            source.value = allocator.alloc_str(&replacement).into();
            source.raw = None;
            imports.push(replacement);
        } else {
            imports.push(specifier);
        }
    }
    imports
}

/// Re-lays generated lines onto the source lines their first token came
/// from. Lines with no mapping (inside a multi-line template literal) are
/// kept as they are, so no string changes.
fn align_lines(code: &str, map: &oxc_sourcemap::SourceMap) -> String {
    let mut original_line: Vec<Option<u32>> = vec![None; code.lines().count() + 1];
    for token in map.get_tokens() {
        let line = token.get_dst_line() as usize;
        if let Some(slot) = original_line.get_mut(line)
            && slot.is_none()
        {
            *slot = Some(token.get_src_line());
        }
    }
    let mut out = String::with_capacity(code.len() + 64);
    let mut current = 0u32;
    for (index, line) in code.lines().enumerate() {
        if index == 0 {
            out.push_str(line);
            if let Some(Some(target)) = original_line.first() {
                let padding = "\n".repeat(*target as usize);
                out.insert_str(0, &padding);
                current = *target;
            }
            continue;
        }
        match original_line.get(index).copied().flatten() {
            Some(target) if target > current => {
                for _ in current..target {
                    out.push('\n');
                }
                current = target;
                out.push_str(line);
            }
            Some(_) => {
                out.push(' ');
                out.push_str(line.trim_start());
            }
            None => {
                out.push('\n');
                current += 1;
                out.push_str(line);
            }
        }
    }
    out.push('\n');
    out
}

fn render(
    diagnostics: impl Iterator<Item = OxcDiagnostic>,
    source: &str,
    file_name: &str,
) -> String {
    let mut text = String::new();
    for diagnostic in diagnostics {
        let offset = diagnostic.labels.first().map_or(0, |label| label.offset());
        let (line, column) = line_column(source, offset as usize);
        text.push_str(&format!(
            "{file_name}:{line}:{column}: error: {}\n",
            diagnostic.message
        ));
        if let Some(help) = &diagnostic.help {
            text.push_str(&format!("  help: {help}\n"));
        }
    }
    text
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    // oxc's offsets can fall inside a character it replaced: go back to
    // the start of that character.
    let mut end = offset.min(source.len());
    while !source.is_char_boundary(end) {
        end -= 1;
    }
    let before = &source[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(source: &str) -> String {
        transpile(source, "main.ts", |_| None).unwrap().code
    }

    #[test]
    fn statements_stay_on_their_source_lines() {
        let source = "interface P {\n  x: number;\n}\n\nenum Color {\n  Red,\n  Green,\n}\nconst p: P = { x: 1 };\nthrow new Error(String(Color.Green));\n";
        let code = js(source);
        let line = code
            .lines()
            .position(|l| l.contains("throw new Error"))
            .unwrap();
        assert_eq!(line + 1, 10, "{code}");
        let line = code.lines().position(|l| l.contains("const p")).unwrap();
        assert_eq!(line + 1, 9, "{code}");
    }

    #[test]
    fn syntax_errors_name_file_line_and_column() {
        let error = transpile("let x: number = 1;\nlet y = (;\n", "main.ts", |_| None).unwrap_err();
        assert!(error.starts_with("main.ts:2:"), "{error}");
        assert!(error.contains("error:"), "{error}");
    }

    #[test]
    fn imports_go_through_the_resolver() {
        let out = transpile(
            "import { a } from './a';\nexport * from './b';\nimport type { T } from './t';\nconsole.log(a);\n",
            "main.ts",
            |spec| Some(format!("{spec}.ts")),
        )
        .unwrap();
        assert!(out.code.contains("\"./a.ts\""), "{}", out.code);
        assert!(out.code.contains("\"./b.ts\""), "{}", out.code);
        assert!(
            !out.code.contains("./t"),
            "type-only import kept: {}",
            out.code
        );
    }

    /// Every shape of nesting, as deep as the bound lets through, must
    /// transpile with room to spare: here on an eighth of the stack that
    /// [`crate::deep_stack`] gives, so the real one has 8x headroom.
    #[test]
    fn the_deepest_accepted_programs_fit_in_an_eighth_of_the_stack() {
        let n = nesting::MAX_NESTING / 2 - 10;
        let p = nesting::MAX_PARENTHESES - 10;
        let shapes = [
            format!("let x = {}1{};", "(".repeat(p), ")".repeat(p)),
            format!("let x = 1{};", "+1".repeat(n)),
            format!("let x = a{};", ".b".repeat(n)),
            format!("let x = f{};", "()".repeat(n / 2)),
            format!("let x = {}1;", "!".repeat(n)),
            format!(
                "let t: {}number{} = 1;",
                "A<".repeat(n / 2),
                ">".repeat(n / 2)
            ),
            format!("let x = {}1{};", "[".repeat(n), "]".repeat(n)),
            format!("{}{}", "{".repeat(n), "}".repeat(n)),
            format!("let x = 1{};", " ? 1 : 1".repeat(n / 4)),
            format!("let f = {}1;", "(a) => ".repeat(n / 6)),
        ];
        for (index, shape) in shapes.into_iter().enumerate() {
            assert!(nesting::check(&shape).is_ok(), "shape {index} refused");
            let result = std::thread::Builder::new()
                .stack_size(crate::deep_stack::STACK_BYTES / 8)
                .spawn(move || transpile(&shape, "deep.ts", |_| None).map(|t| t.code.len()))
                .unwrap()
                .join()
                .unwrap();
            assert!(result.is_ok(), "shape {index}: {result:?}");
        }
    }

    #[test]
    fn too_deep_programs_are_refused_with_a_clear_error() {
        let source = format!("let x = {}1;", "(".repeat(nesting::MAX_NESTING + 1));
        let error = transpile(&source, "deep.ts", |_| None).unwrap_err();
        assert!(error.starts_with("deep.ts:1:"), "{error}");
        assert!(error.contains("nests too deeply"), "{error}");
    }

    /// Found by `cargo xtask fuzz`: a diagnostic offset inside a
    /// multi-byte character.
    #[test]
    fn diagnostics_inside_multibyte_characters_are_placed() {
        let source = "const f = `${a ? 'x-' : `y${}`;\n \u{fffd}\u{fffd}`";
        assert!(transpile(source, "main.ts", |_| None).is_err());
        assert_eq!(line_column("a\n\u{fffd}b", 4), (2, 1));
    }

    #[test]
    fn template_literals_keep_their_lines() {
        let code = js("const s: string = `a\nb\nc`;\nconsole.log(s);\n");
        assert!(code.contains("`a\nb\nc`"), "{code}");
    }
}
