//! Server configuration from the environment (and a `.env` file), with the
//! original server's variable names and defaults plus ours. An invalid value
//! stops start-up with a message naming the variable and the value.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::sandbox::DiskLimits;

#[derive(Debug, Clone)]
pub struct Config {
    /// `MAX_CONNECTIONS`: concurrent Socket.IO connections.
    pub max_connections: usize,
    /// `SESSION_TIMEOUT` (ms): idle sessions are cleaned up after this.
    pub session_timeout: Duration,
    /// `SESSION_RESUME_GRACE` (ms): how long a disconnected session waits
    /// for its client to reconnect with its `sessionId`.
    pub session_resume_grace: Duration,
    /// `CODE_EXECUTION_TIMEOUT` (ms): wall-time limit of one execution.
    pub execution_timeout: Duration,
    /// `COMPILE_TIMEOUT` (ms): wall-time limit of one C or C++ compile
    /// (each compiler step, and the link).
    pub compile_timeout: Duration,
    /// `MAX_CODE_SIZE` (bytes).
    pub max_code_size: usize,
    /// `PORT`.
    pub port: u16,
    /// `HOST`.
    pub host: IpAddr,
    /// `LOG_LEVEL`: error, warn, info, debug or trace.
    pub log_level: String,
    /// `USER_BASE_DIR`: where user sandboxes live.
    pub user_base_dir: PathBuf,
    /// `RUNTIMES_DIR`.
    pub runtimes_dir: PathBuf,
    /// `MEMORY_LIMIT_MB`: linear memory of one execution.
    pub memory_limit_mb: u64,
    /// `MAX_OUTPUT_BYTES`: stdout and stderr of one execution together.
    pub max_output_bytes: usize,
    /// `MAX_CONCURRENT_EXECUTIONS`.
    pub max_concurrent_executions: usize,
    /// `MAX_QUEUED_EXECUTIONS`: waiting beyond the running ones; more is 429.
    pub max_queued_executions: usize,
    /// `API_TOKEN`: when set, required as a bearer token.
    pub api_token: Option<String>,
    /// `SANDBOX_DISK_QUOTA_MB`: logical bytes one sandbox may hold.
    pub sandbox_disk_quota_mb: u64,
    /// `SANDBOX_MAX_FILES`: files, directories and symlinks in one sandbox.
    pub sandbox_max_files: u64,
    /// `MIN_FREE_DISK_MB`: no new sandbox while the file system under
    /// `USER_BASE_DIR` has less than this available.
    pub min_free_disk_mb: u64,
    /// `MAX_HTTP_CONNECTIONS`: open HTTP connections (websockets aside).
    pub max_http_connections: usize,
    /// `MAX_CONNECTIONS_PER_IP`: open HTTP connections from one address.
    pub max_connections_per_ip: usize,
    /// `HTTP_HEADER_TIMEOUT` (ms): a request's headers must arrive within.
    pub http_header_timeout: Duration,
    /// `HTTP_BODY_TIMEOUT` (ms): a request's body must arrive within.
    pub http_body_timeout: Duration,
    /// `SLOW_CLIENT_TIMEOUT` (ms): a socket that takes none of its output
    /// for this long is disconnected.
    pub slow_client_timeout: Duration,
    /// `RATE_LIMIT_PER_MINUTE`: API requests per token (or per client
    /// address without one) per minute; 0, the default, for no limit.
    pub rate_limit_per_minute: u32,
    /// `CORS_ORIGINS`: comma-separated origins that may call the API from
    /// a browser (`*` for any); none by default.
    pub cors_origins: Vec<String>,
    /// `JUDGE0_CALLBACK_HOSTS`: comma-separated hosts (`name` or
    /// `name:port`) a Judge0 submission's `callback_url` may name; none by
    /// default, which turns callbacks off.
    pub judge0_callback_hosts: Vec<String>,
    /// `MAX_CONTEXTS`: stateful contexts (live interpreters) at once.
    pub max_contexts: usize,
    /// `CONTEXT_TIMEOUT` (ms): a context unused for this long is deleted.
    pub context_timeout: Duration,
    /// `CONTEXT_MEMORY_MB`: the linear memory of all contexts together.
    pub context_memory_mb: u64,
    /// `SHUTDOWN_GRACE` (ms): how long running executions get to finish
    /// after SIGTERM before they are cancelled (or, in a cluster, handed
    /// back to the queue).
    pub shutdown_grace: Duration,
    /// `REDIS_URL`: when set, the node joins a cluster over this Redis
    /// (see [`crate::cluster`]).
    pub redis_url: Option<String>,
    /// `NODE_NAME`: this node's name in the cluster (default: the host
    /// name, else a random one).
    pub node_name: String,
    /// `RESULT_TTL` (ms): how long a cluster keeps finished results.
    pub result_ttl: Duration,
    /// The caps on what a user can make the host hold (see
    /// [`crate::budget`]).
    pub budgets: crate::budget::Settings,
    /// Package installs: the index, policy and caps (see
    /// [`crate::packages::PackageSettings`]).
    pub packages: crate::packages::PackageSettings,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid {name}={value:?}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: String,
}

impl Config {
    /// Reads the process environment, after loading `.env` if present
    /// (variables already set win).
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, for tests and embedding.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let var = |name: &'static str| Var {
            name,
            value: lookup(name).filter(|v| !v.trim().is_empty()),
        };
        let max_concurrent_executions =
            var("MAX_CONCURRENT_EXECUTIONS").number(2 * cores, 1, 4096)?;
        let runtimes_dir = var("RUNTIMES_DIR")
            .optional_path()
            .unwrap_or_else(crate::runtimes::default_root);
        let packages = packages(&var, &runtimes_dir)?;
        Ok(Self {
            max_connections: var("MAX_CONNECTIONS").number(100, 1, 1_000_000)?,
            session_timeout: Duration::from_millis(var("SESSION_TIMEOUT").number(
                1_800_000,
                1,
                u64::MAX,
            )?),
            session_resume_grace: Duration::from_millis(var("SESSION_RESUME_GRACE").number(
                60_000,
                0,
                u64::MAX,
            )?),
            execution_timeout: Duration::from_millis(
                var("CODE_EXECUTION_TIMEOUT").number(30_000, 1, 3_600_000)?,
            ),
            compile_timeout: Duration::from_millis(
                var("COMPILE_TIMEOUT").number(120_000, 1, 3_600_000)?,
            ),
            max_code_size: var("MAX_CODE_SIZE").number(1_048_576, 1, 64 << 20)?,
            port: var("PORT").number(8080, 0, u16::MAX)?,
            host: var("HOST").parsed("0.0.0.0".parse().expect("valid address"))?,
            log_level: var("LOG_LEVEL")
                .one_of("info", &["error", "warn", "info", "debug", "trace"])?,
            user_base_dir: var("USER_BASE_DIR").path("./user_folders"),
            runtimes_dir,
            memory_limit_mb: var("MEMORY_LIMIT_MB").number(512, 1, 4096)?,
            max_output_bytes: var("MAX_OUTPUT_BYTES").number(1 << 20, 1, 256 << 20)?,
            max_concurrent_executions,
            max_queued_executions: var("MAX_QUEUED_EXECUTIONS").number(
                256.max(max_concurrent_executions * 8),
                0,
                1_000_000,
            )?,
            api_token: var("API_TOKEN").value,
            sandbox_disk_quota_mb: var("SANDBOX_DISK_QUOTA_MB").number(256, 1, 1 << 20)?,
            sandbox_max_files: var("SANDBOX_MAX_FILES").number(10_000, 1, 100_000_000)?,
            min_free_disk_mb: var("MIN_FREE_DISK_MB").number(512, 0, u64::MAX >> 20)?,
            max_http_connections: var("MAX_HTTP_CONNECTIONS").number(1024, 1, 1_000_000)?,
            max_connections_per_ip: var("MAX_CONNECTIONS_PER_IP").number(256, 1, 1_000_000)?,
            http_header_timeout: Duration::from_millis(
                var("HTTP_HEADER_TIMEOUT").number(10_000, 1, 3_600_000)?,
            ),
            http_body_timeout: Duration::from_millis(
                var("HTTP_BODY_TIMEOUT").number(30_000, 1, 3_600_000)?,
            ),
            slow_client_timeout: Duration::from_millis(
                var("SLOW_CLIENT_TIMEOUT").number(30_000, 1, 3_600_000)?,
            ),
            rate_limit_per_minute: var("RATE_LIMIT_PER_MINUTE").number(0, 0, 1_000_000)?,
            cors_origins: var("CORS_ORIGINS").origins()?,
            judge0_callback_hosts: var("JUDGE0_CALLBACK_HOSTS").hosts(),
            max_contexts: var("MAX_CONTEXTS").number(16, 0, 1000)?,
            context_timeout: Duration::from_millis(var("CONTEXT_TIMEOUT").number(
                600_000,
                1,
                u64::MAX,
            )?),
            context_memory_mb: var("CONTEXT_MEMORY_MB").number(2048, 1, 1 << 20)?,
            shutdown_grace: Duration::from_millis(
                var("SHUTDOWN_GRACE").number(10_000, 0, 3_600_000)?,
            ),
            redis_url: var("REDIS_URL").redis_url()?,
            node_name: var("NODE_NAME").node_name()?,
            result_ttl: Duration::from_millis(var("RESULT_TTL").number(
                3_600_000,
                1_000,
                30 * 86_400_000,
            )?),
            budgets: budgets(&var)?,
            packages,
        })
    }

    /// The disk quota of each sandbox.
    pub fn disk_limits(&self) -> DiskLimits {
        DiskLimits {
            max_bytes: self.sandbox_disk_quota_mb << 20,
            max_entries: self.sandbox_max_files,
        }
    }
}

/// The caps of [`crate::budget`], each from its variable.
fn budgets(var: &impl Fn(&'static str) -> Var) -> Result<crate::budget::Settings, ConfigError> {
    let defaults = crate::budget::Settings::default();
    let millis = |name, default: Duration, max: u64| -> Result<Duration, ConfigError> {
        let ms = var(name).number(default.as_millis() as u64, 1, max)?;
        Ok(Duration::from_millis(ms))
    };
    Ok(crate::budget::Settings {
        open_files_per_execution: var("MAX_OPEN_FILES").number(
            defaults.open_files_per_execution,
            16,
            1 << 20,
        )?,
        pipeline_stages: var("MAX_PIPELINE_STAGES").number(defaults.pipeline_stages, 2, 4096)?,
        shell_threads: var("MAX_SHELL_THREADS").number(defaults.shell_threads, 1, 448)?,
        argv_bytes: var("MAX_ARGV_BYTES").number(defaults.argv_bytes, 4096, 256 << 20)?,
        argv_words: var("MAX_ARGV_WORDS").number(defaults.argv_words, 16, 10_000_000)?,
        mcp_sessions: var("MAX_MCP_SESSIONS").number(defaults.mcp_sessions, 1, 1_000_000)?,
        mcp_sessions_per_client: var("MAX_MCP_SESSIONS_PER_CLIENT").number(
            defaults.mcp_sessions_per_client,
            1,
            1_000_000,
        )?,
        mcp_session_idle: millis("MCP_SESSION_IDLE", defaults.mcp_session_idle, 86_400_000)?,
        contexts_per_client: var("MAX_CONTEXTS_PER_CLIENT").number(
            defaults.contexts_per_client,
            1,
            1000,
        )?,
        transpile_timeout: millis("TRANSPILE_TIMEOUT", defaults.transpile_timeout, 60_000)?,
    })
}

/// The package settings (see [`crate::packages`]); the cache defaults to
/// `packages/` in the runtimes directory.
fn packages(
    var: &impl Fn(&'static str) -> Var,
    runtimes_dir: &std::path::Path,
) -> Result<crate::packages::PackageSettings, ConfigError> {
    let defaults = crate::packages::PackageSettings::off();
    let megabytes = |name, default: u64| -> Result<u64, ConfigError> {
        Ok(var(name).number(default >> 20, 1, 1 << 20)? << 20)
    };
    Ok(crate::packages::PackageSettings {
        python_index: var("PACKAGE_INDEX_URL").index_url()?,
        npm_registry: var("NPM_REGISTRY_URL").index_url()?,
        enabled: var("PACKAGE_INSTALLS").one_of("on", &["on", "off"])? == "on",
        allow: var("PACKAGES_ALLOW").names(),
        deny: var("PACKAGES_DENY").names(),
        max_file_bytes: megabytes("PACKAGE_MAX_FILE_MB", defaults.max_file_bytes)?,
        max_install_bytes: megabytes("PACKAGE_MAX_INSTALL_MB", defaults.max_install_bytes)?,
        max_packages: var("PACKAGE_MAX_PACKAGES").number(defaults.max_packages, 1, 10_000)?,
        cache_dir: var("PACKAGE_CACHE_DIR")
            .optional_path()
            .unwrap_or_else(|| runtimes_dir.join("packages")),
        cache_bytes: megabytes("PACKAGE_CACHE_MB", defaults.cache_bytes)?,
        install_timeout: Duration::from_millis(var("PACKAGE_INSTALL_TIMEOUT").number(
            defaults.install_timeout.as_millis() as u64,
            1,
            3_600_000,
        )?),
        fetch_timeout: defaults.fetch_timeout,
        max_concurrent_installs: var("MAX_CONCURRENT_INSTALLS").number(
            defaults.max_concurrent_installs,
            1,
            1024,
        )?,
    })
}

struct Var {
    name: &'static str,
    value: Option<String>,
}

impl Var {
    fn error(&self, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            name: self.name,
            value: self.value.clone().unwrap_or_default(),
            reason: reason.into(),
        }
    }

    fn number<T>(&self, default: T, min: T, max: T) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let Some(value) = &self.value else {
            return Ok(default);
        };
        let number: T = value
            .trim()
            .parse()
            .map_err(|_| self.error("expected a whole number"))?;
        if number < min || number > max {
            return Err(self.error(format!("expected a number from {min} to {max}")));
        }
        Ok(number)
    }

    fn parsed<T: std::str::FromStr>(&self, default: T) -> Result<T, ConfigError> {
        match &self.value {
            None => Ok(default),
            Some(value) => value
                .trim()
                .parse()
                .map_err(|_| self.error("cannot parse it")),
        }
    }

    fn one_of(&self, default: &str, allowed: &[&str]) -> Result<String, ConfigError> {
        let value = self
            .value
            .as_deref()
            .unwrap_or(default)
            .trim()
            .to_ascii_lowercase();
        if allowed.contains(&value.as_str()) {
            Ok(value)
        } else {
            Err(self.error(format!("expected one of {}", allowed.join(", "))))
        }
    }

    /// A comma-separated list of origins (`scheme://host[:port]`), or `*`.
    fn origins(&self) -> Result<Vec<String>, ConfigError> {
        let Some(value) = &self.value else {
            return Ok(Vec::new());
        };
        let origins: Vec<String> = value
            .split(',')
            .map(|origin| origin.trim().trim_end_matches('/').to_owned())
            .filter(|origin| !origin.is_empty())
            .collect();
        for origin in &origins {
            let well_formed = origin == "*"
                || ((origin.starts_with("http://") || origin.starts_with("https://"))
                    && !origin
                        .split_once("://")
                        .is_some_and(|(_, rest)| rest.contains('/'))
                    && origin.chars().all(|c| c.is_ascii_graphic()));
            if !well_formed {
                return Err(self.error(format!(
                    "'{origin}' is not an origin (scheme://host[:port], or *)"
                )));
            }
        }
        Ok(origins)
    }

    /// A `redis://` or `unix://` URL (this build has no TLS: reach a TLS
    /// Redis through a local tunnel). Errors show it without its password.
    fn redis_url(&self) -> Result<Option<String>, ConfigError> {
        let Some(url) = self.value.as_deref().map(str::trim) else {
            return Ok(None);
        };
        let known = ["redis://", "unix://", "redis+unix://"]
            .iter()
            .any(|scheme| url.starts_with(scheme));
        if !known || redis::parse_redis_url(url).is_none() {
            return Err(ConfigError {
                name: self.name,
                value: crate::cluster::redacted_url(url),
                reason: "expected redis://[user:password@]host[:port][/db]".into(),
            });
        }
        Ok(Some(url.to_owned()))
    }

    /// A package index's `http://` URL (this build has no TLS, as for
    /// Redis: reach an HTTPS index through a local mirror or proxy).
    fn index_url(&self) -> Result<Option<reqwest::Url>, ConfigError> {
        let Some(text) = self.value.as_deref().map(str::trim) else {
            return Ok(None);
        };
        match reqwest::Url::parse(text) {
            Ok(url) if url.scheme() == "http" && url.has_host() => Ok(Some(url)),
            Ok(url) if url.scheme() == "https" => Err(self.error(
                "this build fetches over plain HTTP only: point it at a local mirror or caching proxy of the index",
            )),
            _ => Err(self.error("expected an http:// URL of a simple index")),
        }
    }

    /// A comma-separated list of host names (with ports or not), in lower
    /// case.
    fn hosts(&self) -> Vec<String> {
        self.value
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(|host| host.trim().to_ascii_lowercase())
            .filter(|host| !host.is_empty())
            .collect()
    }

    /// A comma-separated list of package names, normalized.
    fn names(&self) -> Vec<String> {
        self.value
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(|name| crate::packages::settings::normalize_name(name.trim()))
            .filter(|name| !name.is_empty())
            .collect()
    }

    /// A node name: letters, digits, `-`, `_` and `.`, at most 64; by
    /// default the host name, else `node-` and random letters.
    fn node_name(&self) -> Result<String, ConfigError> {
        let valid = |name: &str| {
            !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match self.value.as_deref().map(str::trim) {
            Some(name) if valid(name) => Ok(name.to_owned()),
            Some(_) => Err(self.error("expected at most 64 letters, digits, '-', '_' or '.'")),
            None => Ok(std::env::var("HOSTNAME")
                .ok()
                .filter(|name| valid(name))
                .unwrap_or_else(|| {
                    use rand::distr::{Alphanumeric, SampleString};
                    format!("node-{}", Alphanumeric.sample_string(&mut rand::rng(), 8))
                })),
        }
    }

    fn path(&self, default: &str) -> PathBuf {
        PathBuf::from(self.value.as_deref().unwrap_or(default))
    }

    /// The path given, if one was (an empty value counts as none).
    fn optional_path(&self) -> Option<PathBuf> {
        self.value
            .as_deref()
            .filter(|value| !value.trim().is_empty())
            .map(PathBuf::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn cors_origins_are_origins() {
        let listed = config(&[("CORS_ORIGINS", "https://a.example, http://b:3000/")]).unwrap();
        assert_eq!(listed.cors_origins, ["https://a.example", "http://b:3000"]);
        assert_eq!(
            config(&[("CORS_ORIGINS", "*")]).unwrap().cors_origins,
            ["*"]
        );
        for bad in [
            "a.example",
            "https://a.example/path",
            "ftp://a",
            "https://a b",
        ] {
            let error = config(&[("CORS_ORIGINS", bad)]).unwrap_err();
            assert_eq!(error.name, "CORS_ORIGINS", "{bad}");
        }
    }

    #[test]
    fn cluster_settings_are_checked_without_showing_passwords() {
        let single = config(&[]).unwrap();
        assert!(single.redis_url.is_none());
        assert_eq!(single.result_ttl, Duration::from_secs(3600));
        assert_eq!(single.shutdown_grace, Duration::from_secs(10));
        assert!(!single.node_name.is_empty());
        let joined =
            config(&[("REDIS_URL", "redis://:pw@r:6379/0"), ("NODE_NAME", "a-1")]).unwrap();
        assert_eq!(joined.redis_url.as_deref(), Some("redis://:pw@r:6379/0"));
        assert_eq!(joined.node_name, "a-1");
        let error = config(&[("REDIS_URL", "http://:hunter2@r/")]).unwrap_err();
        assert_eq!(error.name, "REDIS_URL");
        assert!(!error.to_string().contains("hunter2"), "{error}");
        for bad in ["a b", "x/y", &"n".repeat(65)] {
            assert_eq!(config(&[("NODE_NAME", bad)]).unwrap_err().name, "NODE_NAME");
        }
    }

    #[test]
    fn defaults_match_the_original_server() {
        let config = config(&[]).unwrap();
        assert_eq!(config.max_connections, 100);
        assert_eq!(config.session_timeout, Duration::from_millis(1_800_000));
        assert_eq!(config.execution_timeout, Duration::from_millis(30_000));
        assert_eq!(config.compile_timeout, Duration::from_millis(120_000));
        assert_eq!(config.max_code_size, 1_048_576);
        assert_eq!(config.port, 8080);
        assert_eq!(config.log_level, "info");
        assert_eq!(config.user_base_dir, PathBuf::from("./user_folders"));
        assert_eq!(config.memory_limit_mb, 512);
        assert_eq!(config.max_output_bytes, 1 << 20);
        assert!(config.api_token.is_none());
        assert_eq!(
            config.disk_limits(),
            DiskLimits {
                max_bytes: 256 << 20,
                max_entries: 10_000
            }
        );
        assert_eq!(config.min_free_disk_mb, 512);
    }

    #[test]
    fn invalid_values_name_the_variable_and_the_value() {
        for (name, value) in [
            ("PORT", "eighty"),
            ("PORT", "70000"),
            ("MAX_CODE_SIZE", "-1"),
            ("LOG_LEVEL", "loud"),
            ("HOST", "not-an-ip"),
            ("MAX_CONCURRENT_EXECUTIONS", "0"),
            ("SANDBOX_DISK_QUOTA_MB", "0"),
            ("SANDBOX_MAX_FILES", "many"),
            ("MIN_FREE_DISK_MB", "-5"),
        ] {
            let error = config(&[(name, value)]).unwrap_err().to_string();
            assert!(error.contains(name) && error.contains(value), "{error}");
        }
    }
}
