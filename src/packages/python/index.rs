//! The simple repository API: a project's files, from PEP 691's JSON or
//! PEP 503's HTML (whichever the index answers), with their hashes,
//! `Requires-Python` and whether their metadata is served alone (PEP 658).

use std::collections::HashMap;

use reqwest::Url;
use serde::Deserialize;

use crate::packages::InstallError;
use crate::packages::fetch::file_name;

/// PEP 691's JSON first; PEP 503's HTML from indexes that have no JSON.
pub const ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1";

/// One file of a project, as the index lists it.
#[derive(Debug, Clone)]
pub struct IndexFile {
    pub filename: String,
    pub url: Url,
    /// The SHA-256 the index gives (files without one are never fetched).
    pub sha256: Option<String>,
    pub requires_python: Option<String>,
    pub yanked: bool,
    /// PEP 658: the file's METADATA is served at `url` + `.metadata`,
    /// with this SHA-256 when the index gave one.
    pub metadata: Option<Option<String>>,
}

/// The address of a project's page: `{index}/{normalized name}/`.
pub fn project_url(index: &Url, name: &str) -> Result<Url, InstallError> {
    let mut base = index.clone();
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    base.join(&format!("{name}/"))
        .map_err(|e| InstallError::BadRequest(format!("{name}: not a package name ({e})")))
}

/// The files a project page lists.
pub fn parse_page(
    page_url: &Url,
    content_type: &str,
    body: &[u8],
) -> Result<Vec<IndexFile>, InstallError> {
    let bad = |why: String| InstallError::Fetch(format!("the index's page {page_url} {why}"));
    let text = std::str::from_utf8(body).map_err(|_| bad("is not UTF-8".into()))?;
    if content_type.contains("json") {
        let project: JsonProject =
            serde_json::from_str(text).map_err(|e| bad(format!("is not PEP 691 JSON: {e}")))?;
        Ok(project
            .files
            .into_iter()
            .filter_map(|file| file.resolve(page_url))
            .collect())
    } else {
        parse_html(page_url, text).map_err(bad)
    }
}

#[derive(Deserialize)]
struct JsonProject {
    files: Vec<JsonFile>,
}

#[derive(Deserialize)]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: HashMap<String, String>,
    #[serde(rename = "requires-python", default)]
    requires_python: Option<String>,
    #[serde(default)]
    yanked: serde_json::Value,
    #[serde(rename = "core-metadata", default)]
    core_metadata: serde_json::Value,
    #[serde(rename = "dist-info-metadata", default)]
    dist_info_metadata: serde_json::Value,
}

impl JsonFile {
    fn resolve(self, page_url: &Url) -> Option<IndexFile> {
        let url = page_url.join(&self.url).ok()?;
        let metadata =
            json_metadata(&self.core_metadata).or(json_metadata(&self.dist_info_metadata));
        Some(IndexFile {
            filename: self.filename,
            sha256: self.hashes.get("sha256").map(|h| h.to_ascii_lowercase()),
            requires_python: self.requires_python,
            yanked: !matches!(
                self.yanked,
                serde_json::Value::Bool(false) | serde_json::Value::Null
            ),
            metadata,
            url,
        })
    }
}

/// PEP 691's metadata field: `true`, or the metadata file's hashes.
fn json_metadata(value: &serde_json::Value) -> Option<Option<String>> {
    match value {
        serde_json::Value::Bool(true) => Some(None),
        serde_json::Value::Object(hashes) => Some(
            hashes
                .get("sha256")
                .and_then(|h| h.as_str())
                .map(str::to_ascii_lowercase),
        ),
        _ => None,
    }
}

fn parse_html(page_url: &Url, text: &str) -> Result<Vec<IndexFile>, String> {
    let dom =
        tl::parse(text, tl::ParserOptions::default()).map_err(|e| format!("is not HTML: {e}"))?;
    let parser = dom.parser();
    let Some(anchors) = dom.query_selector("a") else {
        return Ok(Vec::new());
    };
    let mut files = Vec::new();
    for anchor in anchors {
        let Some(tag) = anchor.get(parser).and_then(|node| node.as_tag()) else {
            continue;
        };
        let attribute = |name: &str| {
            tag.attributes()
                .get(name)
                .flatten()
                .map(|value| unescape(&value.as_utf8_str()))
        };
        let Some(href) = attribute("href") else {
            continue;
        };
        let Ok(mut url) = page_url.join(&href) else {
            continue;
        };
        let sha256 = url.fragment().and_then(|fragment| {
            fragment
                .strip_prefix("sha256=")
                .map(str::to_ascii_lowercase)
        });
        url.set_fragment(None);
        let metadata = attribute("data-core-metadata")
            .or_else(|| attribute("data-dist-info-metadata"))
            .map(|value| value.strip_prefix("sha256=").map(str::to_ascii_lowercase));
        let filename = unescape(tag.inner_text(parser).trim());
        files.push(IndexFile {
            filename: if filename.is_empty() {
                file_name(&url)
            } else {
                filename
            },
            sha256,
            requires_python: attribute("data-requires-python"),
            yanked: tag.attributes().get("data-yanked").is_some(),
            metadata,
            url,
        });
    }
    Ok(files)
}

/// The character references an index's attribute values use.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("http://index.test/simple/rich/").unwrap()
    }

    #[test]
    fn json_pages_list_files_with_hashes() {
        let body = br#"{"meta":{"api-version":"1.1"},"name":"rich","files":[
            {"filename":"rich-13.9.4-py3-none-any.whl","url":"../../files/rich-13.9.4-py3-none-any.whl",
             "hashes":{"sha256":"AB"},"requires-python":">=3.8.0","core-metadata":{"sha256":"cd"},"yanked":false},
            {"filename":"rich-1.0.tar.gz","url":"https://elsewhere.test/rich-1.0.tar.gz","hashes":{},"yanked":"broken"}]}"#;
        let files = parse_page(&page(), "application/vnd.pypi.simple.v1+json", body).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(
            files[0].url.as_str(),
            "http://index.test/files/rich-13.9.4-py3-none-any.whl"
        );
        assert_eq!(files[0].sha256.as_deref(), Some("ab"));
        assert_eq!(files[0].metadata, Some(Some("cd".into())));
        assert_eq!(files[0].requires_python.as_deref(), Some(">=3.8.0"));
        assert!(!files[0].yanked && files[1].yanked);
        assert_eq!(files[1].sha256, None);
    }

    #[test]
    fn html_pages_list_files_with_hashes() {
        let body = br#"<!DOCTYPE html><html><body>
            <a href="../../files/rich-13.9.4-py3-none-any.whl#sha256=ab" data-requires-python="&gt;=3.8.0" data-dist-info-metadata="sha256=cd">rich-13.9.4-py3-none-any.whl</a><br/>
            <a href="/files/rich-1.0.tar.gz" data-yanked="">rich-1.0.tar.gz</a>
            </body></html>"#;
        let files = parse_page(&page(), "text/html", body).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].filename, "rich-13.9.4-py3-none-any.whl");
        assert_eq!(
            files[0].url.as_str(),
            "http://index.test/files/rich-13.9.4-py3-none-any.whl"
        );
        assert_eq!(files[0].sha256.as_deref(), Some("ab"));
        assert_eq!(files[0].requires_python.as_deref(), Some(">=3.8.0"));
        assert_eq!(files[0].metadata, Some(Some("cd".into())));
        assert!(files[1].yanked);
    }

    #[test]
    fn project_urls_are_under_the_index() {
        let index = Url::parse("http://index.test/simple").unwrap();
        assert_eq!(
            project_url(&index, "rich").unwrap().as_str(),
            "http://index.test/simple/rich/"
        );
    }
}
