//! The Python runtime as the package service's bytecode compiler (see
//! [`crate::packages::python::bytecode`]): a guest of the server's own
//! runs `compileall` over a scratch directory holding one wheel's files.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::{Invocation, PythonFiles};
use crate::engine::{Engine, Limits, Program, RunSpec, Status, Stdin, TerminalStreams};
use crate::language::Language;
use crate::packages::python::bytecode::CompileBytecode;
use crate::runtimes::Runtime;
use crate::sandbox::Sandbox;

/// The longest one wheel's compile may take (pygments' 600 modules take
/// a few seconds).
const COMPILE_TIME: Duration = Duration::from_secs(300);

/// Checked-hash bytecode (PEP 552) for every module under a directory;
/// modules that do not compile are left as they are.
const COMPILE_SCRIPT: &str = "import compileall, py_compile\n\
    compileall.compile_dir(DIR, quiet=2, \
    invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)\n";

/// Compiles with the Python snapshot every run starts from.
pub struct GuestCompiler {
    engine: Arc<Engine>,
    files: PythonFiles,
    runtime_id: String,
}

impl GuestCompiler {
    /// A compiler for the runtime `runtime_id` names (its module's hash).
    pub fn new(engine: Arc<Engine>, files: PythonFiles, runtime_id: String) -> Self {
        Self {
            engine,
            files,
            runtime_id,
        }
    }

    async fn run(&self, sandbox: &Sandbox, dir: &str) -> Result<(), String> {
        let dir = serde_json::to_string(dir).map_err(|e| e.to_string())?;
        let code = COMPILE_SCRIPT.replace("DIR", &dir);
        let env = Language::Python.env("/", &[]);
        let spec = RunSpec {
            program: Program::Runtime(Runtime::Python),
            entry: super::entry(&Invocation::Code(code), &[], "/", &env),
            args: vec!["python3".to_owned()],
            env,
            mounts: self.files.mounts(sandbox.host_path()),
            stdin: Stdin::Empty,
            limits: Limits {
                wall_time: COMPILE_TIME,
                output_bytes: 64 << 10,
                ..Limits::default()
            },
            output: None,
            disk: Some(sandbox.quota().clone()),
            interactive: false,
            terminal: TerminalStreams::NONE,
        };
        let outcome = self.engine.run(spec).await;
        match outcome.status {
            Status::Ok => Ok(()),
            status => Err(format!(
                "compileall ended {}: {}",
                status.as_str(),
                outcome.stderr_lossy()
            )),
        }
    }
}

impl CompileBytecode for GuestCompiler {
    fn runtime_id(&self) -> &str {
        &self.runtime_id
    }

    fn compile<'a>(
        &'a self,
        sandbox: &'a Sandbox,
        dir: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(self.run(sandbox, dir))
    }
}
