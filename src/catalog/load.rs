//! A spec chosen at startup (`--spec FILE`): reads an OpenAPI document from disk and compiles
//! it through the same compiler as `build.rs` ([`super::compile`]), so the installed binary can
//! follow a newer spec without a Rust toolchain.
//!
//! The embedded overlay is applied leniently (patches that no longer fit are skipped, since the
//! document may already have caught up), and the embedded fixtures are kept for the component
//! schemas the document still has.

use super::compile::{self, Fit};
use super::{Catalog, RawCatalog};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The overlay `build.rs` applies to the pinned spec.
const OVERLAY: &str = include_str!("../../spec/overlay.json");

/// A document loaded with `--spec`: its compiled catalog and what the server serves of it.
pub struct SpecFile {
    /// The compiled catalog.
    pub catalog: Arc<Catalog>,
    /// Where it was read from.
    pub path: PathBuf,
    /// The document as read (served at `/openapi.yaml`; JSON is valid YAML too).
    pub text: bytes::Bytes,
    /// The document as JSON (served at `/openapi.json`).
    pub json: bytes::Bytes,
}

impl std::fmt::Debug for SpecFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpecFile")
            .field("path", &self.path)
            .field("operations", &self.catalog.operations.len())
            .finish()
    }
}

/// Why a `--spec` document cannot be used; the message names the file and the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError(pub String);

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecError {}

impl Catalog {
    /// Reads and compiles the OpenAPI 3.x document at `path` (YAML 1.2 or JSON).
    ///
    /// ```no_run
    /// # use openai_mock::catalog::Catalog;
    /// let spec = Catalog::from_spec_file("openapi.yaml".as_ref()).unwrap();
    /// println!("{} operations", spec.catalog.operations.len());
    /// ```
    pub fn from_spec_file(path: &Path) -> Result<SpecFile, SpecError> {
        let fail =
            |why: String| SpecError(format!("cannot use the spec {}: {why}", path.display()));
        let text = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
        let source =
            std::str::from_utf8(&text).map_err(|e| fail(format!("not UTF-8 text: {e}")))?;
        let document = parse(source).map_err(fail)?;
        let json = serde_json::to_vec(&document).map_err(|e| fail(e.to_string()))?;
        let catalog = compile_document(document).map_err(fail)?;
        Ok(SpecFile {
            catalog: Arc::new(catalog),
            path: path.to_path_buf(),
            text: bytes::Bytes::from(text),
            json: bytes::Bytes::from(json),
        })
    }
}

/// Parses JSON (when the text starts with `{`) or YAML 1.2, where only `true`/`false` are
/// booleans, as OpenAPI 3.1 requires (`required: [x, y]` names a property `y`).
fn parse(source: &str) -> Result<Value, String> {
    if source.trim_start().starts_with('{') {
        return serde_json::from_str(source).map_err(|e| format!("not valid JSON: {e}"));
    }
    // OpenAI's full document is ~3 MB and ~85k nodes; leave room above the defaults.
    let options = serde_saphyr::options! {
        strict_booleans: true,
        budget: serde_saphyr::budget! {
            max_events: 20_000_000,
            max_nodes: 5_000_000,
            max_depth: 256,
        },
    };
    serde_saphyr::from_str_with_options(source, options).map_err(|e| format!("not valid YAML: {e}"))
}

fn compile_document(mut document: Value) -> Result<Catalog, String> {
    if !document.is_object() {
        return Err("not an OpenAPI document (the top level is not a mapping)".into());
    }
    let overlay: Value = serde_json::from_str(OVERLAY).map_err(|e| format!("overlay: {e}"))?;
    let applied =
        compile::apply_overlay(&mut document, &overlay, "spec/overlay.json", Fit::Lenient)?;
    tracing::debug!(applied, "overlay patches applied to the --spec document");
    let mut compiled = compile::compile(&document)?;
    let embedded = Catalog::embedded();
    let fixtures: serde_json::Map<String, Value> = embedded
        .fixtures
        .iter()
        .filter(|(name, _)| compile::unknown_fixture(&compiled, [*name]).is_none())
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    compiled["fixtures"] = Value::Object(fixtures);
    let raw: RawCatalog = serde_json::from_value(compiled)
        .map_err(|e| format!("cannot read the compiled catalog: {e}"))?;
    Ok(Catalog::from_raw(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("openai-mock-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    const SMALL: &str = r##"openapi: 3.1.0
info: {title: Small, version: "1"}
servers: [{url: https://api.example.com/v1}]
paths:
  /widgets/{widget_id}:
    get:
      operationId: getWidget
      parameters:
        - {name: widget_id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: OK
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Widget"}
components:
  schemas:
    Widget:
      type: object
      required: [id, x, y]
      properties:
        id: {type: string}
        x: {type: integer}
        y: {type: integer}
"##;

    #[test]
    fn a_yaml_document_compiles_with_yaml_12_booleans() {
        let spec = Catalog::from_spec_file(&write("small.yaml", SMALL)).unwrap();
        let catalog = &spec.catalog;
        assert_eq!(catalog.operations.len(), 1);
        assert_eq!(catalog.base_path, "/v1");
        assert_eq!(catalog.operations[0].id, "getWidget");
        let json: Value = serde_json::from_slice(&spec.json).unwrap();
        assert_eq!(
            json.pointer("/components/schemas/Widget/required"),
            Some(&serde_json::json!(["id", "x", "y"]))
        );
    }

    #[test]
    fn a_json_document_compiles_too() {
        let value: Value = serde_saphyr::from_str_with_options(
            SMALL,
            serde_saphyr::options! { strict_booleans: true },
        )
        .unwrap();
        let path = write("small.json", &serde_json::to_string(&value).unwrap());
        let spec = Catalog::from_spec_file(&path).unwrap();
        assert_eq!(spec.catalog.operations[0].path, "/widgets/{widget_id}");
    }

    #[test]
    fn unusable_documents_are_refused_with_the_file_and_the_reason() {
        let cases = [
            ("broken.yaml", "openapi: [3.1.0\n", "not valid YAML"),
            (
                "swagger.yaml",
                "swagger: '2.0'\npaths: {}\n",
                "missing the top-level `openapi`",
            ),
            (
                "old.yaml",
                "openapi: 2.0.0\npaths: {}\n",
                "OpenAPI 2.0.0 is not supported",
            ),
            ("list.yaml", "- 1\n- 2\n", "not an OpenAPI document"),
            (
                "empty.yaml",
                "openapi: 3.1.0\npaths: {}\ncomponents: {schemas: {}}\n",
                "no operations",
            ),
        ];
        for (name, text, reason) in cases {
            let path = write(name, text);
            let error = Catalog::from_spec_file(&path).err().unwrap().to_string();
            assert!(error.contains(&path.display().to_string()), "{error}");
            assert!(error.contains(reason), "{name}: {error}");
        }
        let missing = Catalog::from_spec_file(Path::new("/no/such/spec.yaml"))
            .err()
            .unwrap();
        assert!(missing.0.contains("/no/such/spec.yaml"), "{missing}");
    }
}
