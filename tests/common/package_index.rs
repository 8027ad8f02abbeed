//! A package index the tests start: a real HTTP server (axum) serving a
//! PEP 691 JSON / PEP 503 HTML simple index over real wheels (fetched by
//! `cargo xtask test` with pip, pinned by hash) and over files a test
//! makes itself (hostile wheels, a source-only project). The server under
//! test fetches from it over HTTP, as from any index.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest as _, Sha256};

/// Where `cargo xtask test` puts the pinned wheels
/// (`tests/packages/requirements.txt`).
pub fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os("POLYRUN_PACKAGE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packages/wheels"));
    assert!(
        dir.join("rich-13.9.4-py3-none-any.whl").exists(),
        "no package fixtures in {}: run `cargo xtask test` (it fetches them with pip)",
        dir.display()
    );
    dir
}

/// One file the index lists.
#[derive(Clone)]
struct IndexedFile {
    bytes: Arc<Vec<u8>>,
    /// The hash the index gives (a test may make it lie).
    listed_sha256: String,
}

/// One published npm version: its package.json and its tarball.
type Published = (serde_json::Value, Arc<Vec<u8>>);

#[derive(Default)]
struct Files {
    /// project (normalized) → filename → file
    projects: BTreeMap<String, BTreeMap<String, IndexedFile>>,
    /// npm package name → version → (its package.json, the tarball)
    tarballs: BTreeMap<String, BTreeMap<String, Published>>,
    /// Every path asked for, in order.
    requests: Vec<String>,
}

/// The running index; its server stops when the test's runtime ends.
#[derive(Clone)]
pub struct PackageIndex {
    files: Arc<Mutex<Files>>,
    /// `http://127.0.0.1:PORT/simple`
    pub url: String,
    /// `http://127.0.0.1:PORT/npm`: an npm registry on the same server.
    pub npm_url: String,
}

impl PackageIndex {
    /// An index of every wheel in the fixtures directory.
    pub async fn start() -> Self {
        let index = Self::empty().await;
        for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".whl") {
                index.add(&name, std::fs::read(&path).unwrap());
            }
        }
        let tarballs = fixtures_dir().parent().unwrap().join("npm");
        for entry in std::fs::read_dir(&tarballs).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "tgz") {
                index.add_tarball(std::fs::read(&path).unwrap());
            }
        }
        index
    }

    /// Publishes an npm tarball under the name and version in its
    /// `package.json`.
    pub fn add_tarball(&self, bytes: Vec<u8>) {
        let manifest = tarball_manifest(&bytes).expect("a package.json in the tarball");
        let name = manifest["name"].as_str().unwrap().to_owned();
        let version = manifest["version"].as_str().unwrap().to_owned();
        self.files
            .lock()
            .unwrap()
            .tarballs
            .entry(name)
            .or_default()
            .insert(version, (manifest, Arc::new(bytes)));
    }

    pub async fn empty() -> Self {
        let files = Arc::new(Mutex::new(Files::default()));
        let app = axum::Router::new()
            .route("/simple/{project}/", axum::routing::get(project))
            .route("/files/{filename}", axum::routing::get(file))
            .route("/npm/{name}", axum::routing::get(packument))
            .route("/npm-files/{name}/{version}", axum::routing::get(tarball))
            .with_state(files.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            files,
            url: format!("http://{addr}/simple"),
            npm_url: format!("http://{addr}/npm"),
        }
    }

    /// Lists a file under its project, with its true hash.
    pub fn add(&self, filename: &str, bytes: Vec<u8>) {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        self.add_listed(filename, bytes, &sha256);
    }

    /// Lists a file with the hash given (which may be a lie).
    pub fn add_listed(&self, filename: &str, bytes: Vec<u8>, sha256: &str) {
        let project = normalize(project_of(filename));
        self.files
            .lock()
            .unwrap()
            .projects
            .entry(project)
            .or_default()
            .insert(
                filename.to_owned(),
                IndexedFile {
                    bytes: Arc::new(bytes),
                    listed_sha256: sha256.to_owned(),
                },
            );
    }

    /// The paths asked for so far.
    pub fn requests(&self) -> Vec<String> {
        self.files.lock().unwrap().requests.clone()
    }
}

fn project_of(filename: &str) -> &str {
    filename.split('-').next().unwrap_or(filename)
}

fn normalize(name: &str) -> String {
    let mut out = String::new();
    for part in name.split(['-', '_', '.']).filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&part.to_lowercase());
    }
    out
}

/// A project's page: JSON when asked for it, HTML otherwise (with
/// PEP 658 metadata advertised for wheels in both).
async fn project(
    State(files): State<Arc<Mutex<Files>>>,
    UrlPath(project): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let mut files = files.lock().unwrap();
    files.requests.push(format!("/simple/{project}/"));
    let Some(listed) = files.projects.get(&project) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.starts_with("application/vnd.pypi.simple.v1+json"));
    if wants_json {
        let entries: Vec<serde_json::Value> = listed
            .iter()
            .map(|(filename, file)| {
                let mut entry = serde_json::json!({
                    "filename": filename,
                    "url": format!("../../files/{filename}"),
                    "hashes": {"sha256": file.listed_sha256},
                });
                if let Some(metadata) = wheel_metadata(filename, &file.bytes) {
                    entry["core-metadata"] =
                        serde_json::json!({"sha256": hex::encode(Sha256::digest(&metadata))});
                }
                entry
            })
            .collect();
        let body =
            serde_json::json!({"meta": {"api-version": "1.1"}, "name": project, "files": entries});
        (
            [(header::CONTENT_TYPE, "application/vnd.pypi.simple.v1+json")],
            body.to_string(),
        )
            .into_response()
    } else {
        let mut html = String::from("<!DOCTYPE html><html><body>\n");
        for (filename, file) in listed {
            html.push_str(&format!(
                "<a href=\"../../files/{filename}#sha256={}\">{filename}</a><br/>\n",
                file.listed_sha256
            ));
        }
        html.push_str("</body></html>\n");
        ([(header::CONTENT_TYPE, "text/html")], html).into_response()
    }
}

/// A file, or a wheel's METADATA alone (`.metadata`, PEP 658).
async fn file(
    State(files): State<Arc<Mutex<Files>>>,
    UrlPath(filename): UrlPath<String>,
) -> Response {
    let mut files = files.lock().unwrap();
    files.requests.push(format!("/files/{filename}"));
    let (name, metadata) = match filename.strip_suffix(".metadata") {
        Some(wheel) => (wheel.to_owned(), true),
        None => (filename.clone(), false),
    };
    let found = files
        .projects
        .values()
        .find_map(|listed| listed.get(&name))
        .cloned();
    match (found, metadata) {
        (Some(file), false) => file.bytes.as_ref().clone().into_response(),
        (Some(file), true) => match wheel_metadata(&name, &file.bytes) {
            Some(metadata) => metadata.into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        (None, _) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A package's versions, as an npm registry's abbreviated document lists
/// them, each tarball with its sha512 integrity.
async fn packument(
    State(files): State<Arc<Mutex<Files>>>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    use base64::Engine as _;
    let mut files = files.lock().unwrap();
    files.requests.push(format!("/npm/{name}"));
    let Some(versions) = files.tarballs.get(&name) else {
        return (StatusCode::NOT_FOUND, "{\"error\":\"Not found\"}").into_response();
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let mut listed = serde_json::Map::new();
    for (version, (manifest, bytes)) in versions {
        let integrity = format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD
                .encode(sha2::Sha512::digest(bytes.as_slice()))
        );
        listed.insert(
            version.clone(),
            serde_json::json!({
                "name": name,
                "version": version,
                "dependencies": manifest.get("dependencies").cloned().unwrap_or(serde_json::json!({})),
                "scripts": manifest.get("scripts").cloned().unwrap_or(serde_json::json!({})),
                "dist": {
                    "tarball": format!("http://{host}/npm-files/{name}/{version}"),
                    "integrity": integrity,
                },
            }),
        );
    }
    let latest = versions.keys().next_back().cloned().unwrap_or_default();
    let body =
        serde_json::json!({"name": name, "dist-tags": {"latest": latest}, "versions": listed});
    (
        [(header::CONTENT_TYPE, "application/vnd.npm.install-v1+json")],
        body.to_string(),
    )
        .into_response()
}

async fn tarball(
    State(files): State<Arc<Mutex<Files>>>,
    UrlPath((name, version)): UrlPath<(String, String)>,
) -> Response {
    let mut files = files.lock().unwrap();
    files.requests.push(format!("/npm-files/{name}/{version}"));
    match files.tarballs.get(&name).and_then(|v| v.get(&version)) {
        Some((_, bytes)) => bytes.as_ref().clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `package/package.json` from an npm tarball.
fn tarball_manifest(bytes: &[u8]) -> Option<serde_json::Value> {
    use std::io::Read as _;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    for entry in archive.entries().ok()? {
        let mut entry = entry.ok()?;
        let path = entry.path().ok()?.to_string_lossy().into_owned();
        if path.matches('/').count() == 1 && path.ends_with("/package.json") {
            let mut text = String::new();
            entry.read_to_string(&mut text).ok()?;
            return serde_json::from_str(&text).ok();
        }
    }
    None
}

/// An npm tarball made here: `files` under `package/`, beside a
/// package.json naming it (`extra` merged in).
pub fn make_tarball(
    name: &str,
    version: &str,
    extra: serde_json::Value,
    files: &[(&str, &[u8])],
) -> Vec<u8> {
    let mut manifest = serde_json::json!({"name": name, "version": version});
    if let (Some(manifest), Some(extra)) = (manifest.as_object_mut(), extra.as_object()) {
        manifest.extend(extra.clone());
    }
    let manifest = manifest.to_string();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let mut add = |path: &str, contents: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        // Set the name raw: `append_data` would refuse `..`, which a
        // hostile tarball has.
        let name = header.as_old_mut().name.as_mut();
        name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_cksum();
        builder.append(&header, contents).unwrap();
    };
    add("package/package.json", manifest.as_bytes());
    for (path, contents) in files {
        add(&format!("package/{path}"), contents);
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// A wheel's `*.dist-info/METADATA`.
fn wheel_metadata(filename: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read as _;
    if !filename.ends_with(".whl") {
        return None;
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let name = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|name| name.ends_with(".dist-info/METADATA") && name.matches('/').count() == 1)?
        .into_owned();
    let mut metadata = Vec::new();
    archive
        .by_name(&name)
        .ok()?
        .read_to_end(&mut metadata)
        .ok()?;
    Some(metadata)
}

/// A wheel made here: `files` (path, contents) plus a dist-info with
/// METADATA (`requires` as Requires-Dist lines) and a RECORD.
pub fn make_wheel(
    name: &str,
    version: &str,
    requires: &[&str],
    files: &[(&str, &[u8])],
) -> Vec<u8> {
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buffer);
    let options = zip::write::SimpleFileOptions::default();
    let dist_info = format!("{name}-{version}.dist-info");
    let mut record = String::new();
    for (path, contents) in files {
        zip.start_file(*path, options).unwrap();
        zip.write_all(contents).unwrap();
        record.push_str(&format!("{path},,\n"));
    }
    let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    for requirement in requires {
        metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
    }
    zip.start_file(format!("{dist_info}/METADATA"), options)
        .unwrap();
    zip.write_all(metadata.as_bytes()).unwrap();
    zip.start_file(format!("{dist_info}/WHEEL"), options)
        .unwrap();
    zip.write_all(b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        .unwrap();
    record.push_str(&format!(
        "{dist_info}/METADATA,,\n{dist_info}/WHEEL,,\n{dist_info}/RECORD,,\n"
    ));
    zip.start_file(format!("{dist_info}/RECORD"), options)
        .unwrap();
    zip.write_all(record.as_bytes()).unwrap();
    zip.finish().unwrap();
    buffer.into_inner()
}
