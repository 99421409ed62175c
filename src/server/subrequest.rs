//! Requests the server sends itself, on a client's behalf: the lines of a batch. They go
//! through the same steps as a request from the network (route, validation, the endpoint's
//! checks, the scenario engine's plan, the shaped answer), so a batch line answers exactly
//! what the same body sent directly would, errors and scenario rules included.
//!
//! Everything here is synchronous: a line's body is JSON already, so validation takes the
//! no-wait path ([`validate::validate_json`]), and a plan's latency is not slept (a batch's
//! pace is its lifecycle timeline). Lines are neither authenticated again (the batch's
//! creator was) nor written to the request log (the client never sent them).

use super::pipeline::{Pipeline, NO_KEY};
use super::respond::request_id;
use crate::endpoints::{Dispatch, Subresponse};
use crate::error::ApiError;
use crate::generate::with_id_source;
use crate::scenario::{self, Failure};
use crate::validate;
use bytes::Bytes;
use poem::http::{HeaderMap, Method};
use serde_json::Value;
use std::time::Instant;

impl Dispatch for Pipeline {
    fn dispatch(&self, method: &str, url: &str, body: Value, api_key: &str) -> Subresponse {
        let request_id = request_id(Instant::now());
        match self.subrequest(method, url, body, api_key) {
            Ok(Some((status, body))) => Subresponse::Answered {
                status,
                body,
                request_id,
            },
            Ok(None) => Subresponse::Dropped,
            Err(error) => Subresponse::Answered {
                status: error.status,
                body: error.body(),
                request_id,
            },
        }
    }
}

impl Pipeline {
    /// The status and JSON body of one request sent from inside the server; `None` when a
    /// fault drops the connection.
    fn subrequest(
        &self,
        method: &str,
        url: &str,
        body: Value,
        api_key: &str,
    ) -> Result<Option<(u16, Value)>, ApiError> {
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| ApiError::invalid_request(format!("Invalid method: {method}")))?;
        let (path, query) = match url.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (url, None),
        };
        let (index, path_params) = self.route(&method, path, query)?;
        let op = &self.catalog.operations[index];
        let endpoint = self.endpoints.entry(index);
        let raw_body = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
        let request = validate::validate_json(&self.catalog, op, path_params, query, body)?;
        let call = self.call(op, &request, None, api_key);
        (endpoint.check)(&call)?;
        let mut ids = self.settings.ids.next_source();
        let key = Some(api_key).filter(|k| *k != NO_KEY);
        let plan = with_id_source(&mut ids, || {
            self.settings
                .scenarios
                .plan(op, endpoint, &request, &HeaderMap::new(), key)
        });
        match &plan.outcome {
            scenario::Outcome::Fail(Failure::Error(simulated)) => {
                Ok(Some((simulated.error.status, simulated.error.body())))
            }
            scenario::Outcome::Fail(Failure::ConnectionReset) => Ok(None),
            _ => {
                let script = plan.scripted();
                let call = self.call(op, &request, script.as_ref(), api_key);
                let (_, answer) =
                    with_id_source(&mut ids, || self.shaped(endpoint, &call, &raw_body, &plan));
                // A rule's whole body replaces the answer, as it does for a direct request.
                Ok(Some(match &plan.outcome {
                    scenario::Outcome::Body { status, body } => (*status, body.clone()),
                    _ => (op.response.status, answer.unwrap_or(Value::Null)),
                }))
            }
        }
    }
}
