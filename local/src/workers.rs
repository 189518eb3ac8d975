//! The worker processes of template mode: one long-lived process per function and
//! concurrent invocation (more start when events overlap), running the Node or Python
//! runtime shim beside this file, with the function's environment and `Timeout`.
//!
//! The gateway writes one JSON line per event on a worker's stdin and reads one JSON line
//! back on its stdout; the handler's own output (stdout and stderr) is printed to the
//! gateway's stderr, one line at a time, prefixed with the function's name. A worker
//! whose handler file changed is replaced before the next event.

use crate::template::{Function, Runtime};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The Node runtime shim.
const NODE_RUNTIME: &str = include_str!("workers/runtime.mjs");
/// The Python runtime shim.
const PYTHON_RUNTIME: &str = include_str!("workers/runtime.py");
/// How long a worker may take to load its handler (Lambda's init limit).
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why an invocation failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The handler threw or returned an error (`errorType`, `errorMessage`).
    Error(String, String),
    /// The handler ran past the function's `Timeout`.
    Timeout(Duration),
    /// The worker could not start or died.
    Crash(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Error(t, m) => write!(f, "{t}: {m}"),
            Failure::Timeout(d) => write!(f, "Task timed out after {:.2} seconds", d.as_secs_f64()),
            Failure::Crash(m) => f.write_str(m),
        }
    }
}

struct Worker {
    _child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    /// The handler file's modification time when the worker loaded it.
    loaded: Option<SystemTime>,
}

/// A function's idle workers.
struct Pool {
    function: Function,
    arn: String,
    idle: Mutex<Vec<Worker>>,
}

/// Every function's workers.
pub(crate) struct Workers {
    pools: BTreeMap<String, Pool>,
    env: Vec<(String, String)>,
    dir: PathBuf,
}

impl Workers {
    /// Writes the runtime shims into `dir`; `env` is what every worker gets on top of the
    /// gateway's own environment (credentials, region, endpoints, CA bundle).
    pub(crate) fn new(
        functions: &BTreeMap<String, Function>,
        region: &str,
        env: Vec<(String, String)>,
        dir: &Path,
    ) -> io::Result<Self> {
        std::fs::write(dir.join("runtime.mjs"), NODE_RUNTIME)?;
        std::fs::write(dir.join("runtime.py"), PYTHON_RUNTIME)?;
        let pools = functions
            .iter()
            .map(|(name, f)| {
                let arn = format!(
                    "arn:aws:lambda:{region}:{}:function:{name}",
                    crate::intrinsics::ACCOUNT_ID
                );
                let pool = Pool {
                    function: f.clone(),
                    arn,
                    idle: Mutex::new(Vec::new()),
                };
                (name.clone(), pool)
            })
            .collect();
        Ok(Workers {
            pools,
            env,
            dir: dir.to_path_buf(),
        })
    }

    /// Starts one worker per function ahead of the first event; a function whose worker
    /// cannot start is reported on stderr, one line.
    pub(crate) async fn warm(&self) {
        let starts = self.pools.values().map(|pool| async move {
            match self.spawn(pool).await {
                Ok(w) => lock(&pool.idle).push(w),
                Err(e) => eprintln!("[{}] {e}", pool.function.name),
            }
        });
        futures_util::future::join_all(starts).await;
    }

    /// Stops every idle worker (busy ones stop when their event ends).
    pub(crate) fn shutdown(&self) {
        for pool in self.pools.values() {
            lock(&pool.idle).clear();
        }
    }

    /// Runs `event` in a worker of `function`; the handler's result.
    pub(crate) async fn invoke(&self, function: &str, event: Value) -> Result<Value, Failure> {
        let pool = self
            .pools
            .get(function)
            .ok_or_else(|| Failure::Crash(format!("no function {function}")))?;
        let mut worker = self.checkout(pool).await?;
        let timeout = pool.function.timeout;
        let deadline = SystemTime::now() + timeout;
        let request = json!({
            "event": event,
            "requestId": request_id(),
            "functionArn": pool.arn,
            "deadline": crate::events::epoch_millis(deadline),
        });
        let line = format!("{request}\n");
        // An idle worker that died (its pipe is closed) is replaced before the event is
        // written: the event runs once.
        if send(&mut worker, &line).await.is_err() {
            worker = self.spawn(pool).await?;
            send(&mut worker, &line)
                .await
                .map_err(|e| Failure::Crash(format!("the worker failed: {e}")))?;
        }
        let answer = match tokio::time::timeout(timeout, worker.stdout.next_line()).await {
            Err(_) => return Err(Failure::Timeout(timeout)),
            Ok(Err(e)) => return Err(Failure::Crash(format!("the worker failed: {e}"))),
            Ok(Ok(None)) => return Err(Failure::Crash("the worker exited".into())),
            Ok(Ok(Some(line))) => line,
        };
        let answer: Value = serde_json::from_str(&answer)
            .map_err(|e| Failure::Crash(format!("the worker answered garbage: {e}")))?;
        lock(&pool.idle).push(worker);
        match answer.get("error") {
            Some(e) => Err(error_of(e)),
            None => Ok(answer.get("result").cloned().unwrap_or(Value::Null)),
        }
    }

    /// An idle worker that loaded the current handler file, or a new one.
    async fn checkout(&self, pool: &Pool) -> Result<Worker, Failure> {
        let current = modified(&pool.function.handler_file);
        loop {
            let Some(w) = lock(&pool.idle).pop() else {
                break;
            };
            if w.loaded == current {
                return Ok(w);
            }
        }
        self.spawn(pool).await
    }

    /// Starts a worker and waits until its handler is loaded.
    async fn spawn(&self, pool: &Pool) -> Result<Worker, Failure> {
        let f = &pool.function;
        let loaded = modified(&f.handler_file);
        let program = match f.runtime {
            Runtime::Node => "node",
            Runtime::Python => "python3",
        };
        let mut cmd = self.command(f, program);
        let mut child = cmd
            .spawn()
            .map_err(|e| Failure::Crash(format!("cannot start {program}: {e}")))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(Failure::Crash("the worker has no pipes".into()));
        };
        tokio::spawn(stream_output(f.name.clone(), stderr));
        let mut stdout = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(INIT_TIMEOUT, stdout.next_line()).await;
        let line = match first {
            Err(_) => {
                return Err(Failure::Crash(
                    "the handler did not load within 10 s".into(),
                ));
            }
            Ok(Ok(Some(line))) => line,
            Ok(_) => {
                return Err(Failure::Crash(
                    "the worker exited while loading the handler".into(),
                ));
            }
        };
        let hello: Value = serde_json::from_str(&line).unwrap_or_default();
        if let Some(e) = hello.get("initError") {
            return Err(match error_of(e) {
                Failure::Error(t, m) => {
                    Failure::Crash(format!("cannot load {}: {t}: {m}", f.handler))
                }
                other => other,
            });
        }
        Ok(Worker {
            _child: child,
            stdin,
            stdout,
            loaded,
        })
    }
}

impl Workers {
    /// The worker's command line and environment.
    fn command(&self, f: &Function, program: &str) -> Command {
        let (module, export) = f
            .handler
            .rsplit_once('.')
            .unwrap_or((&f.handler, "handler"));
        let mut cmd = Command::new(program);
        match f.runtime {
            Runtime::Node => cmd
                .arg(self.dir.join("runtime.mjs"))
                .arg(&f.handler_file)
                .arg(export),
            Runtime::Python => cmd
                .arg(self.dir.join("runtime.py"))
                .arg(&f.code_dir)
                .arg(module)
                .arg(export),
        };
        cmd.current_dir(&f.code_dir)
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .envs(self.env.iter().cloned())
            .envs(&f.environment)
            .env("AWS_LAMBDA_FUNCTION_NAME", &f.name)
            .env(
                "AWS_LAMBDA_FUNCTION_TIMEOUT",
                f.timeout.as_secs().to_string(),
            )
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("LAMBDA_TASK_ROOT", &f.code_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }
}

/// Writes one request line to a worker.
async fn send(worker: &mut Worker, line: &str) -> io::Result<()> {
    worker.stdin.write_all(line.as_bytes()).await?;
    worker.stdin.flush().await
}

/// Prints a worker's output, each line prefixed with its function's name.
async fn stream_output(name: String, stderr: tokio::process::ChildStderr) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        eprintln!("[{name}] {line}");
    }
}

fn error_of(e: &Value) -> Failure {
    let field = |k: &str| {
        e.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Failure::Error(field("errorType"), field("errorMessage"))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A Lambda request id (a random UUID v4).
fn request_id() -> String {
    let mut b = [0u8; 16];
    fastrand::fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}
