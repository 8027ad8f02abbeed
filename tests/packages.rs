//! `pip install` against a real index the test starts (real wheels fetched
//! by pip at test setup, plus hostile files made here), through the real
//! server: the shell, API runs, contexts; resolution, conflicts, refusals,
//! quotas and the operator's settings.

mod common;

use common::package_index::{PackageIndex, make_tarball, make_wheel};
use common::server::Server;
use common::terminal::Terminal;
use serde_json::{Value, json};

/// A server installing from `index`, with a cache of its own.
async fn server_for(index: &PackageIndex, env: &[(&str, &str)]) -> (Server, tempfile::TempDir) {
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().to_string_lossy().into_owned();
    let mut all = vec![
        ("PACKAGE_INDEX_URL", index.url.as_str()),
        ("NPM_REGISTRY_URL", index.npm_url.as_str()),
        ("PACKAGE_CACHE_DIR", cache_dir.as_str()),
    ];
    all.extend_from_slice(env);
    (Server::start(&all).await, cache)
}

async fn call(server: &Server, method: &str, path: &str, body: Value) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let response = server
        .client
        .request(method, format!("{}{path}", server.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A Python run with `packages`, waited for.
async fn run_with(server: &Server, code: &str, packages: &[&str]) -> Value {
    server
        .run_wait("python", json!({ "code": code, "packages": packages }))
        .await
}

fn site(server: &Server, user_directory: &str) -> std::path::PathBuf {
    server
        .users
        .path()
        .join(user_directory)
        .join(".local/lib/python3.15/site-packages")
}

#[tokio::test]
async fn markers_are_evaluated_as_the_guest_interpreter_reports_itself() {
    let server = Server::start(&[]).await;
    let code = "import os, platform, sys\n\
        print(sys.implementation.name, platform.python_version(), os.name, platform.machine(), \
        platform.python_implementation(), platform.release(), platform.system(), \
        platform.version(), platform.python_version(), sys.platform, sep='|')";
    let result = server.run_wait("python", json!({ "code": code })).await;
    let environment = polyrun::packages::python::marker_environment();
    let ours = [
        environment.implementation_name().to_owned(),
        environment.implementation_version().to_string(),
        environment.os_name().to_owned(),
        environment.platform_machine().to_owned(),
        environment.platform_python_implementation().to_owned(),
        environment.platform_release().to_owned(),
        environment.platform_system().to_owned(),
        environment.platform_version().to_owned(),
        environment.python_full_version().to_string(),
        environment.sys_platform().to_owned(),
    ]
    .join("|");
    assert_eq!(result["stdout"], format!("{ours}\n"), "{result}");
    assert_eq!(environment.python_version().to_string(), "3.15");
}

#[tokio::test]
async fn pip_in_the_shell_installs_lists_imports_and_uninstalls() {
    let index = PackageIndex::start().await;
    let (server, _cache) = server_for(&index, &[]).await;
    let mut terminal = Terminal::connect(&server.base, None).await.unwrap();
    let installed = terminal.run("pip install rich").await;
    assert_eq!(installed.code(), 0, "{installed:?}");
    assert!(
        installed.stdout.contains(
            "Successfully installed markdown-it-py-3.0.0 mdurl-0.1.2 pygments-2.18.0 rich-13.9.4"
        ),
        "{installed:?}"
    );
    // The program writes to the terminal, so rich sees one and draws bold;
    // piped, it writes plain text, as on a real terminal.
    let printed = terminal
        .run("python3 -c \"from rich.console import Console; Console().print('[bold]ok')\"")
        .await;
    assert_eq!(printed.code(), 0, "{printed:?}");
    assert!(
        printed.stdout.contains("\u{1b}[1mok\u{1b}[0m"),
        "bold ok: {printed:?}"
    );
    let piped = terminal
        .run("python3 -c \"from rich.console import Console; Console().print('[bold]ok')\" | cat")
        .await;
    assert_eq!(piped.stdout, "ok\n", "{piped:?}");

    let listed = terminal.run("pip list").await;
    let line = |name: &str| {
        listed
            .stdout
            .lines()
            .any(|l| l.split_whitespace().next() == Some(name))
    };
    assert!(line("rich") && line("pygments"), "{listed:?}");
    assert!(
        line("numpy"),
        "preinstalled packages are listed: {listed:?}"
    );
    let frozen = terminal.run("pip freeze").await;
    assert!(frozen.stdout.contains("rich==13.9.4"), "{frozen:?}");
    assert!(
        !frozen.stdout.contains("numpy"),
        "freeze shows the sandbox's own: {frozen:?}"
    );

    let again = terminal.run("python3 -m pip install rich==13.9.4").await;
    assert!(
        again
            .stdout
            .contains("Requirement already satisfied: rich==13.9.4"),
        "{again:?}"
    );
    let removed = terminal.run("pip3 uninstall -y rich").await;
    assert!(
        removed
            .stdout
            .contains("Successfully uninstalled rich-13.9.4"),
        "{removed:?}"
    );
    let gone = terminal.run("python3 -c 'import rich'").await;
    assert_ne!(gone.code(), 0);
    assert!(gone.stderr.contains("ModuleNotFoundError"), "{gone:?}");
    let site = site(&server, &terminal.user_directory());
    assert!(!site.join("rich").exists() && !site.join("rich-13.9.4.dist-info").exists());
    assert!(site.join("pygments").exists(), "only rich was uninstalled");
}

#[tokio::test]
async fn api_runs_and_contexts_install_their_packages() {
    let index = PackageIndex::start().await;
    let (server, _cache) = server_for(&index, &[]).await;
    let result = run_with(
        &server,
        "import rich, tabulate\nfrom rich.text import Text\nprint(Text('hi').plain, tabulate.__version__)",
        &["rich==13.9.4", "tabulate"],
    )
    .await;
    assert_eq!(result["status"], "ok", "{result}");
    assert_eq!(
        result["stdout"], "hi 0.10.0\n",
        "tabulate is the preinstalled one"
    );
    assert!(
        !index
            .requests()
            .iter()
            .any(|path| path.contains("tabulate")),
        "a preinstalled package is never fetched: {:?}",
        index.requests()
    );

    // A second install of the same packages comes from the shared cache.
    let wheels_fetched = |index: &PackageIndex| {
        index
            .requests()
            .iter()
            .filter(|path| path.ends_with(".whl"))
            .count()
    };
    let before = wheels_fetched(&index);
    let again = run_with(&server, "import rich; print('again')", &["rich==13.9.4"]).await;
    assert_eq!(again["stdout"], "again\n", "{again}");
    assert_eq!(wheels_fetched(&index), before, "wheels came from the cache");
    let metrics = server.metrics().await;
    assert!(
        common::metric_sample(&metrics, "polyrun_package_cache_total{result=\"hit\"}") >= 4.0,
        "{metrics}"
    );

    let (status, created) = call(
        &server,
        "POST",
        "/contexts",
        json!({"language": "python", "packages": ["click==8.1.7"]}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["contextId"].as_str().unwrap();
    let (status, cell) = call(
        &server,
        "POST",
        &format!("/contexts/{id}/run"),
        json!({"code": "import click\nclick.__version__"}),
    )
    .await;
    assert_eq!(status, 200, "{cell}");
    assert_eq!(cell["value"], "'8.1.7'", "{cell}");
}

#[tokio::test]
async fn installed_wheels_bring_their_bytecode_once_the_server_compiled_it() {
    let index = PackageIndex::start().await;
    let (server, _cache) = server_for(&index, &[]).await;
    let site = "/.local/lib/python3.15/site-packages";
    let pyc = format!("{site}/rich/__pycache__/console.cpython-315.pyc");
    // Each wheel (rich and its three dependencies) is compiled on its own,
    // one after another: wait for all of them.
    let probe = format!(
        "import os\nprint(all(os.path.exists(p) for p in ['{pyc}', \
         '{site}/pygments/__pycache__/__init__.cpython-315.pyc', \
         '{site}/markdown_it/__pycache__/__init__.cpython-315.pyc', \
         '{site}/mdurl/__pycache__/__init__.cpython-315.pyc']))"
    );

    // The first install unpacks sources only; the server then compiles
    // each wheel once, in the background, and later installs bring it.
    let first = run_with(&server, &probe, &["rich==13.9.4"]).await;
    assert_eq!(first["stdout"], "False\n", "{first}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(240);
    loop {
        let later = run_with(&server, &probe, &["rich==13.9.4"]).await;
        assert_eq!(later["status"], "ok", "{later}");
        if later["stdout"] == "True\n" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no bytecode came with the install: {later}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }

    // The import takes it as it is (checked-hash: flags 3; not rewritten),
    // and the dependencies' bytecode came too.
    let code = format!(
        "import os\n\
         path = '{pyc}'\n\
         before = os.stat(path).st_mtime_ns\n\
         flags = int.from_bytes(open(path, 'rb').read(8)[4:8], 'little')\n\
         from rich.console import Console\n\
         import markdown_it, pygments\n\
         print(flags, os.stat(path).st_mtime_ns == before, \
         os.path.exists(markdown_it.__spec__.cached), os.path.exists(pygments.__spec__.cached))"
    );
    let used = run_with(&server, &code, &["rich==13.9.4"]).await;
    assert_eq!(used["stdout"], "3 True True True\n", "{used}");

    // A module the user edits is compiled again, not taken from the old
    // bytecode.
    let edit = "import os\n\
        site = '/.local/lib/python3.15/site-packages'\n\
        with open(site + '/mdurl/__init__.py', 'a') as f:\n    f.write('\\nEDITED = 42\\n')\n\
        import mdurl\n\
        print(mdurl.EDITED)";
    let edited = run_with(&server, edit, &["rich==13.9.4"]).await;
    assert_eq!(edited["stdout"], "42\n", "{edited}");
}

#[tokio::test]
async fn conflicts_and_packages_without_pure_wheels_are_explained() {
    let index = PackageIndex::start().await;
    index.add("sdistonly-1.0.tar.gz", b"not really a tarball".to_vec());
    index.add(
        "native-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
        make_wheel("native", "1.0", &[], &[("native.py", b"")]),
    );
    // An old pygments, so that `pygments<2` exists and clashes with rich.
    index.add(
        "pygments-1.0-py3-none-any.whl",
        make_wheel("pygments", "1.0", &[], &[("pygments/__init__.py", b"")]),
    );
    let (server, _cache) = server_for(&index, &[]).await;

    let conflict = run_with(&server, "print(1)", &["rich==13.9.4", "pygments<2"]).await;
    assert_eq!(conflict["status"], "install_error", "{conflict}");
    let stderr = conflict["stderr"].as_str().unwrap();
    assert!(stderr.contains("No solution found"), "{stderr}");
    assert!(
        stderr.contains("rich 13.9.4 depends on pygments"),
        "{stderr}"
    );

    let preinstalled = run_with(&server, "print(1)", &["tabulate==0.9.0"]).await;
    assert_eq!(preinstalled["status"], "install_error", "{preinstalled}");
    assert!(
        preinstalled["stderr"]
            .as_str()
            .unwrap()
            .contains("tabulate"),
        "{preinstalled}"
    );

    for (package, file) in [
        ("sdistonly", "sdistonly-1.0.tar.gz"),
        ("native", "cp312-cp312-manylinux"),
    ] {
        let refused = run_with(&server, "print(1)", &[package]).await;
        assert_eq!(refused["status"], "install_error", "{refused}");
        let stderr = refused["stderr"].as_str().unwrap();
        assert!(stderr.contains("no pure-Python wheel"), "{stderr}");
        assert!(
            stderr.contains(file) && stderr.contains("compiler"),
            "{stderr}"
        );
    }

    let unknown = run_with(&server, "print(1)", &["no-such-package"]).await;
    assert!(
        unknown["stderr"]
            .as_str()
            .unwrap()
            .contains("No matching distribution found for no-such-package"),
        "{unknown}"
    );

    let (status, bad) = call(
        &server,
        "POST",
        "/run/python",
        json!({"code": "1", "packages": ["rich @ http://x.test/r.whl"], "wait": true}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        bad["stderr"].as_str().unwrap().contains("not from URLs"),
        "{bad}"
    );
    let (status, wrong_language) = call(
        &server,
        "POST",
        "/run/c",
        json!({"code": "int main(){}", "packages": ["rich"]}),
    )
    .await;
    assert_eq!(status, 400, "{wrong_language}");
}

#[tokio::test]
async fn hostile_wheels_are_refused_and_leave_nothing_behind() {
    let index = PackageIndex::start().await;
    index.add(
        "evil-1.0-py3-none-any.whl",
        make_wheel(
            "evil",
            "1.0",
            &[],
            &[
                ("evil/__init__.py", b""),
                ("../../escaped.py", b"print('out')"),
            ],
        ),
    );
    let genuine = make_wheel("tampered", "1.0", &[], &[("tampered.py", b"")]);
    index.add_listed("tampered-1.0-py3-none-any.whl", genuine, &"0".repeat(64));
    let big = vec![b'x'; 700 << 10];
    index.add(
        "huge-1.0-py3-none-any.whl",
        make_wheel(
            "huge",
            "1.0",
            &[],
            &[("huge/a.py", &big), ("huge/b.py", &big)],
        ),
    );
    let (server, _cache) = server_for(&index, &[("SANDBOX_DISK_QUOTA_MB", "1")]).await;
    let mut terminal = Terminal::connect(&server.base, None).await.unwrap();
    let home = server.users.path().join(terminal.user_directory());
    let site = site(&server, &terminal.user_directory());

    let evil = terminal.run("pip install evil").await;
    assert_eq!(evil.code(), 1, "{evil:?}");
    assert!(evil.stderr.contains("outside site-packages"), "{evil:?}");
    assert!(!home.join("escaped.py").exists() && !server.users.path().join("escaped.py").exists());
    assert!(!site.join("evil").exists(), "nothing of it was written");

    let tampered = terminal.run("pip install tampered").await;
    assert_eq!(tampered.code(), 1, "{tampered:?}");
    assert!(
        tampered.stderr.contains("does not match the hash"),
        "{tampered:?}"
    );

    let huge = terminal.run("pip install huge").await;
    assert_eq!(huge.code(), 1, "{huge:?}");
    assert!(huge.stderr.contains("quota"), "{huge:?}");
    assert!(
        !site.join("huge").join("a.py").exists(),
        "no half-installed package"
    );
    assert!(!site.join("huge-1.0.dist-info").exists());
    let listed = terminal.run("pip freeze").await;
    assert_eq!(listed.stdout, "", "{listed:?}");
    // The quota is whole again: a small package still fits.
    let small = terminal.run("pip install mdurl").await;
    assert_eq!(small.code(), 0, "{small:?}");
}

#[tokio::test]
async fn installs_are_off_until_an_index_is_set_and_follow_the_policy() {
    let off = Server::start(&[]).await;
    let (status, refused) = call(
        &off,
        "POST",
        "/run/python",
        json!({"code": "1", "packages": ["rich"]}),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("PACKAGE_INDEX_URL"),
        "{refused}"
    );
    let mut terminal = Terminal::connect(&off.base, None).await.unwrap();
    let shell = terminal.run("pip install rich").await;
    assert_eq!(shell.code(), 1);
    assert!(shell.stderr.contains("PACKAGE_INDEX_URL"), "{shell:?}");
    drop(terminal);

    let index = PackageIndex::start().await;
    let (server, _cache) = server_for(&index, &[("PACKAGES_ALLOW", "click, Rich")]).await;
    let mut terminal = Terminal::connect(&server.base, None).await.unwrap();
    let click = terminal.run("pip install click").await;
    assert_eq!(click.code(), 0, "{click:?}");
    let cachetools = terminal.run("pip install cachetools").await;
    assert!(
        cachetools
            .stderr
            .contains("cachetools may not be installed"),
        "{cachetools:?}"
    );
    let dependency = terminal.run("pip install rich").await;
    assert!(
        dependency.stderr.contains("may not be installed"),
        "a dependency outside the allowlist is refused too: {dependency:?}"
    );
}

#[tokio::test]
async fn npm_in_the_shell_installs_requires_lists_and_uninstalls() {
    let index = PackageIndex::start().await;
    let (server, _cache) = server_for(&index, &[]).await;
    let mut terminal = Terminal::connect(&server.base, None).await.unwrap();
    terminal.run("mkdir app && cd app").await;
    let installed = terminal.run("npm install lodash dayjs").await;
    assert_eq!(installed.code(), 0, "{installed:?}");
    assert!(
        installed
            .stdout
            .contains("added 2 packages: dayjs@1.11.13 lodash@4.17.21"),
        "{installed:?}"
    );
    let used = terminal
        .run("node -e \"const _ = require('lodash'); const dayjs = require('dayjs'); console.log(_.chunk([1, 2, 3, 4], 2).length, dayjs('2024-01-15').format('YYYY/MM/DD'))\"")
        .await;
    assert_eq!(used.stdout, "2 2024/01/15\n", "{used:?}");
    // An ES module imports them too: CommonJS packages by default and by name.
    terminal
        .run("echo \"import dayjs from 'dayjs'; import _, { chunk } from 'lodash'; console.log(dayjs('2024-01-15').format('DD/MM'), chunk([1, 2, 3], 2).length, _.VERSION)\" > esm.mjs")
        .await;
    let imported = terminal.run("node esm.mjs").await;
    assert_eq!(imported.stdout, "15/01 2 4.17.21\n", "{imported:?}");
    // From a file in a subdirectory: the nearest node_modules up the tree.
    terminal.run("mkdir -p src && echo \"console.log(require('lodash/chunk')([1, 2, 3], 2))\" > src/main.js").await;
    assert_eq!(
        terminal.run("node src/main.js").await.stdout,
        "[ [ 1, 2 ], [ 3 ] ]\n"
    );

    let chain = terminal.run("npm install debug").await;
    assert!(
        chain
            .stdout
            .contains("added 2 packages: debug@4.3.7 ms@2.1.3"),
        "{chain:?}"
    );
    let required = terminal
        .run("node -e \"console.log(typeof require('debug'), require('ms')('2h'))\"")
        .await;
    assert_eq!(required.stdout, "function 7200000\n", "{required:?}");
    let listed = terminal.run("npm ls").await;
    for package in ["dayjs@1.11.13", "lodash@4.17.21", "debug@4.3.7", "ms@2.1.3"] {
        assert!(listed.stdout.contains(package), "{listed:?}");
    }
    let saved = terminal.run("cat package.json").await;
    assert!(
        saved.stdout.contains("\"lodash\": \"^4.17.21\""),
        "{saved:?}"
    );

    // npm install alone installs what package.json names, in a new project.
    terminal
        .run("mkdir ../other && cp package.json ../other/ && cd ../other")
        .await;
    let from_manifest = terminal.run("npm install").await;
    assert!(
        from_manifest.stdout.contains("added 4 packages"),
        "{from_manifest:?}"
    );

    let removed = terminal.run("cd ../app && npm uninstall lodash").await;
    assert!(removed.stdout.contains("removed 1 package"), "{removed:?}");
    let gone = terminal.run("node -e \"require('lodash')\"").await;
    assert!(
        gone.stderr.contains("Cannot find module 'lodash'"),
        "{gone:?}"
    );
}

#[tokio::test]
async fn npm_nests_versions_that_clash_and_refuses_hostile_tarballs() {
    let index = PackageIndex::start().await;
    index.add_tarball(make_tarball(
        "ms",
        "2.0.0",
        json!({}),
        &[("index.js", b"module.exports = () => 'old ms';")],
    ));
    index.add_tarball(make_tarball(
        "oldms-user",
        "1.0.0",
        json!({"dependencies": {"ms": "2.0.0"}}),
        &[("index.js", b"module.exports = require('ms')();")],
    ));
    index.add_tarball(make_tarball(
        "evil",
        "1.0.0",
        json!({}),
        &[("index.js", b""), ("../../escaped.js", b"1")],
    ));
    index.add_tarball(make_tarball(
        "scripted",
        "1.0.0",
        json!({"scripts": {"postinstall": "node steal.js"}}),
        &[("index.js", b"module.exports = 'scripted';")],
    ));
    index.add_tarball(make_tarball(
        "dual",
        "1.0.0",
        json!({"exports": {".": {"import": "./esm.mjs", "require": "./cjs.js"}, "./feature": "./lib/feature.js"}}),
        &[
            ("esm.mjs", b"export default 'esm';"),
            ("cjs.js", b"module.exports = 'cjs';"),
            ("lib/feature.js", b"module.exports = 'feature';"),
            ("lib/hidden.js", b"module.exports = 'hidden';"),
        ],
    ));
    let (server, _cache) = server_for(&index, &[]).await;
    let mut terminal = Terminal::connect(&server.base, None).await.unwrap();
    let home = server.users.path().join(terminal.user_directory());

    // An exports map: the require and import conditions, a subpath, and a
    // file it does not export.
    assert_eq!(terminal.run("npm install dual").await.code(), 0);
    let required = terminal
        .run("node -e \"console.log(require('dual'), require('dual/feature'))\"")
        .await;
    assert_eq!(required.stdout, "cjs feature\n", "{required:?}");
    terminal
        .run("echo \"import dual from 'dual'; console.log(dual)\" > dual.mjs")
        .await;
    assert_eq!(terminal.run("node dual.mjs").await.stdout, "esm\n");
    let hidden = terminal
        .run("node -e \"require('dual/lib/hidden.js')\"")
        .await;
    assert!(
        hidden.stderr.contains("ERR_PACKAGE_PATH_NOT_EXPORTED")
            || hidden.stderr.contains("is not defined by \"exports\""),
        "{hidden:?}"
    );

    let first = terminal.run("npm install debug oldms-user").await;
    assert_eq!(first.code(), 0, "{first:?}");
    assert!(home.join("node_modules/ms/package.json").exists());
    assert!(
        home.join("node_modules/oldms-user/node_modules/ms/package.json")
            .exists(),
        "the clashing ms nests under the package that needs it"
    );
    let both = terminal
        .run("node -e \"console.log(require('oldms-user'), require('ms')('1s'))\"")
        .await;
    assert_eq!(both.stdout, "old ms 1000\n", "{both:?}");

    let evil = terminal.run("npm install evil").await;
    assert_eq!(evil.code(), 1, "{evil:?}");
    assert!(evil.stderr.contains("outside its package"), "{evil:?}");
    assert!(
        !home.join("node_modules/evil").exists(),
        "nothing of it was written"
    );
    assert!(!home.join("escaped.js").exists() && !server.users.path().join("escaped.js").exists());

    let scripted = terminal.run("npm install scripted").await;
    assert_eq!(scripted.code(), 0, "{scripted:?}");
    assert!(
        scripted
            .stderr
            .contains("install scripts; they were not run"),
        "{scripted:?}"
    );

    let missing = terminal.run("npm install no-such-package").await;
    assert!(missing.stderr.contains("E404"), "{missing:?}");
    let no_match = terminal.run("npm install lodash@^9").await;
    assert!(
        no_match
            .stderr
            .contains("No matching version found for lodash@^9"),
        "{no_match:?}"
    );
}

#[tokio::test]
async fn javascript_runs_and_contexts_install_their_packages() {
    let index = PackageIndex::start().await;
    let (server, _cache) = server_for(&index, &[]).await;
    let result = server
        .run_wait(
            "javascript",
            json!({"code": "const dayjs = require('dayjs'); console.log(dayjs('2020-02-29').add(1, 'year').format('YYYY-MM-DD'))", "packages": ["dayjs@^1.11"]}),
        )
        .await;
    assert_eq!(result["status"], "ok", "{result}");
    assert_eq!(result["stdout"], "2021-02-28\n");
    let (status, created) = call(
        &server,
        "POST",
        "/contexts",
        json!({"language": "javascript", "packages": ["lodash"]}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["contextId"].as_str().unwrap();
    let (status, cell) = call(
        &server,
        "POST",
        &format!("/contexts/{id}/run"),
        json!({"code": "require('lodash').sum([1, 2, 3])"}),
    )
    .await;
    assert_eq!(status, 200, "{cell}");
    assert_eq!(cell["value"], "6", "{cell}");

    let off = Server::start(&[]).await;
    let mut terminal = Terminal::connect(&off.base, None).await.unwrap();
    let refused = terminal.run("npm install lodash").await;
    assert!(refused.stderr.contains("NPM_REGISTRY_URL"), "{refused:?}");
}

#[tokio::test]
async fn installs_stop_at_the_operator_s_size_caps() {
    let index = PackageIndex::start().await;
    // Random bytes, so the wheel is as large compressed as not.
    let mut noise = vec![0u8; 3 << 20];
    rand::fill(&mut noise[..]);
    index.add(
        "bulky-1.0-py3-none-any.whl",
        make_wheel("bulky", "1.0", &[], &[("bulky/data.bin", &noise)]),
    );
    let (server, _cache) = server_for(
        &index,
        &[("PACKAGE_MAX_FILE_MB", "2"), ("PACKAGE_MAX_PACKAGES", "2")],
    )
    .await;
    let bulky = run_with(&server, "print(1)", &["bulky"]).await;
    assert_eq!(bulky["status"], "install_error", "{bulky}");
    assert!(
        bulky["stderr"]
            .as_str()
            .unwrap()
            .contains("larger than this server fetches"),
        "{bulky}"
    );
    // rich needs four packages; two are allowed.
    let many = run_with(&server, "print(1)", &["rich"]).await;
    assert!(
        many["stderr"]
            .as_str()
            .unwrap()
            .contains("PACKAGE_MAX_PACKAGES"),
        "{many}"
    );
    let small = run_with(&server, "import mdurl; print('ok')", &["mdurl"]).await;
    assert_eq!(small["stdout"], "ok\n", "{small}");
}
