//! The API's routes and their description: `GET /openapi.json`, an
//! OpenAPI 3.1 document that utoipa builds from the handlers' own
//! annotations and the types they take and return. The routes are
//! registered from the same annotations (utoipa-axum), so the document
//! cannot drift from what the server serves.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::middleware;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{
    AppState, contexts, error, execution, executions, judge0, mcp, piston, rate_limit, run, status,
};

/// The API's routes, and their description.
pub(super) fn routes(
    state: &Arc<AppState>,
) -> (axum::Router<Arc<AppState>>, utoipa::openapi::OpenApi) {
    let guarded = OpenApiRouter::new()
        .routes(routes!(run::run))
        .routes(routes!(status::execution))
        .routes(routes!(status::stats))
        .routes(routes!(status::runtimes))
        .routes(routes!(status::metrics))
        .routes(routes!(contexts::create, contexts::list))
        .routes(routes!(contexts::show, contexts::delete))
        .routes(routes!(contexts::run))
        .routes(routes!(contexts::restart))
        .routes(routes!(piston::list_runtimes))
        .routes(routes!(piston::run))
        .routes(routes!(piston::connect::connect))
        .routes(routes!(judge0::create))
        .routes(routes!(judge0::show_one))
        .routes(routes!(judge0::create_batch, judge0::show_batch))
        .routes(routes!(judge0::list_languages))
        .routes(routes!(judge0::show_language))
        .routes(routes!(judge0::list_statuses))
        .routes(routes!(judge0::about))
        .routes(routes!(judge0::config_info))
        .routes(routes!(judge0::system_info))
        .layer(axum::extract::DefaultBodyLimit::max(execution::body_limit(
            &state.config,
        )))
        // MCP speaks JSON-RPC over Streamable HTTP: not an OpenAPI route,
        // but guarded the same way.
        .route(
            "/mcp",
            mcp::service(state.clone(), state.shutting_down.clone()),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            super::require_token,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            rate_limit::limit,
        ));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(status::health))
        .routes(routes!(status::ready))
        .routes(routes!(openapi_json))
        .merge(guarded)
        .split_for_parts()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "polyrun",
        description = "Runs untrusted Python, JavaScript, TypeScript, C and C++ in WebAssembly sandboxes. \
            With API_TOKEN set, the API routes need `Authorization: Bearer <token>`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(
        error::ErrorBody,
        error::ErrorDetail,
        executions::ExecutionResult,
        executions::ExecutionView,
        executions::TestResult,
        executions::State,
        crate::engine::Status,
    )),
    modifiers(&BearerToken),
    tags(
        (name = "run", description = "Running code"),
        (name = "contexts", description = "Stateful, notebook-style contexts: variables and files persist between runs"),
        (name = "status", description = "What the server is doing"),
        (name = "piston", description = "Piston's API (v2): its clients work by changing their URL"),
        (name = "judge0", description = "Judge0's API (CE 1.13) under /judge0: its clients work by changing their URL"),
    ),
)]
pub(super) struct ApiDoc;

/// The `bearer` scheme (`API_TOKEN`).
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("API_TOKEN, when the server has one"))
                    .build(),
            ),
        );
    }
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "status",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)))]
pub(super) async fn openapi_json(
    State(state): State<Arc<AppState>>,
) -> Json<utoipa::openapi::OpenApi> {
    Json(state.openapi.get().cloned().unwrap_or_else(ApiDoc::openapi))
}
