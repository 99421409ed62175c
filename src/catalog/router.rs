//! Matches a method and a path to an operation.
//!
//! Paths are split into segments once, at startup. A request path matches a template when
//! every segment is equal or the template segment is a `{param}`; among matches, the one
//! whose static segments come first wins, so `/files/search` beats `/files/{file_id}`.
//!
//! Routes are indexed by their first segment, so a request compares itself with the few
//! routes under its own first segment (and the rare ones that start with a `{param}`), not
//! with every operation, and the comparison allocates nothing.
//!
//! A spec path key may carry a query string (`/responses?beta=true`): that operation is a
//! variant of the plain path, chosen only when the request's query has every one of its
//! `name=value` pairs, and preferred over the plain operation then.

use super::Operation;
use std::collections::HashMap;

/// One segment of a templated path.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Static(String),
    Param(String),
}

#[derive(Debug)]
struct Route {
    segments: Vec<Segment>,
    /// The `name=value` pairs the request's query must hold (empty for a plain path).
    query: Vec<(String, String)>,
    method: String,
    operation: usize,
}

/// The result of matching a request path.
#[derive(Debug, PartialEq)]
pub enum RouteMatch {
    /// The operation index and the path parameters, in template order.
    Found(usize, Vec<(String, String)>),
    /// The path exists, but not with this method; carries the allowed methods.
    MethodNotAllowed(Vec<String>),
    /// No operation has this path.
    NotFound,
}

/// Method + path lookup over every operation of the catalog.
#[derive(Debug)]
pub struct Router {
    routes: Vec<Route>,
    /// The routes (indexes into `routes`, in order) whose first segment is this static text
    /// (`""` for the root path).
    by_head: HashMap<String, Vec<usize>>,
    /// The routes whose first segment is a `{param}`.
    param_head: Vec<usize>,
}

impl Router {
    /// Compiles the route table.
    pub(crate) fn new(operations: &[Operation]) -> Router {
        let routes = operations
            .iter()
            .enumerate()
            .map(|(index, op)| {
                let (path, query) = op.path.split_once('?').unwrap_or((&op.path, ""));
                Route {
                    segments: split(path)
                        .map(
                            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                                Some(name) => Segment::Param(name.to_string()),
                                None => Segment::Static(s.to_string()),
                            },
                        )
                        .collect(),
                    query: query_pairs(query).collect(),
                    method: op.method.clone(),
                    operation: index,
                }
            })
            .collect::<Vec<Route>>();
        let mut by_head: HashMap<String, Vec<usize>> = HashMap::new();
        let mut param_head = Vec::new();
        for (at, route) in routes.iter().enumerate() {
            match route.segments.first() {
                Some(Segment::Param(_)) => param_head.push(at),
                Some(Segment::Static(head)) => by_head.entry(head.clone()).or_default().push(at),
                None => by_head.entry(String::new()).or_default().push(at),
            }
        }
        Router {
            routes,
            by_head,
            param_head,
        }
    }

    /// Finds the operation for `method` and `path` (already stripped of any `/v1` prefix),
    /// given the request's raw `query` string, if any.
    pub fn find(&self, method: &str, path: &str, query: Option<&str>) -> RouteMatch {
        let segments: Vec<&str> = split(path).collect();
        // Decoded only when a candidate route asks for query pairs.
        let mut asked: Option<Vec<(String, String)>> = None;
        let mut best: Option<(&Route, (u64, bool))> = None;
        let mut allowed = Vec::new();
        let head = self
            .by_head
            .get(segments.first().copied().unwrap_or(""))
            .map_or(&[][..], Vec::as_slice);
        // A static first segment always beats a `{param}` one, so the two lists never tie
        // and their order between them does not matter.
        for route in head
            .iter()
            .chain(&self.param_head)
            .map(|&at| &self.routes[at])
        {
            if !route.query.is_empty() {
                let asked = asked.get_or_insert_with(|| query_pairs(query.unwrap_or("")).collect());
                if !route.query.iter().all(|pair| asked.contains(pair)) {
                    continue;
                }
            }
            let Some(shape) = matches(&route.segments, &segments) else {
                continue;
            };
            // Static-before-param first, then a query variant before the plain path.
            let shape = (shape, !route.query.is_empty());
            if route.method != method {
                if !allowed.contains(&route.method) {
                    allowed.push(route.method.clone());
                }
                continue;
            }
            let better = match &best {
                None => true,
                Some((_, best_shape)) => shape > *best_shape,
            };
            if better {
                best = Some((route, shape));
            }
        }
        match best {
            Some((route, _)) => {
                let params = route
                    .segments
                    .iter()
                    .zip(&segments)
                    .filter_map(|(template, actual)| match template {
                        Segment::Param(name) => Some((name.clone(), decode(actual))),
                        Segment::Static(_) => None,
                    })
                    .collect();
                RouteMatch::Found(route.operation, params)
            }
            None if !allowed.is_empty() => RouteMatch::MethodNotAllowed(allowed),
            None => RouteMatch::NotFound,
        }
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// Whether the template matches; if so, which segments were static, as bits with the first
/// segment highest, so comparing two shapes as numbers compares them segment by segment,
/// from the first (templates are far shorter than 64 segments; later ones are ignored).
fn matches(template: &[Segment], actual: &[&str]) -> Option<u64> {
    if template.len() != actual.len() {
        return None;
    }
    let mut shape = 0u64;
    for (at, (t, a)) in template.iter().zip(actual).enumerate() {
        match t {
            Segment::Static(s) if s == a => {
                if at < 64 {
                    shape |= 1 << (63 - at);
                }
            }
            Segment::Static(_) => return None,
            Segment::Param(_) => {}
        }
    }
    Some(shape)
}

/// The `name=value` pairs of a raw query string, percent-decoded.
fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: &str, path: &str) -> Operation {
        serde_json::from_value(serde_json::json!({
            "id": format!("{method} {path}"), "method": method, "path": path, "admin": false,
            "params": [], "query": 0, "body": null,
            "response": {"status": 200, "content_type": null, "schema": null}, "stream": null
        }))
        .unwrap()
    }

    #[test]
    fn static_segment_beats_template() {
        let ops = [op("GET", "/files/{file_id}"), op("GET", "/files/search")];
        let router = Router::new(&ops);
        assert_eq!(
            router.find("GET", "/files/search", None),
            RouteMatch::Found(1, vec![])
        );
        assert_eq!(
            router.find("GET", "/files/file-1", None),
            RouteMatch::Found(0, vec![("file_id".into(), "file-1".into())])
        );
    }

    #[test]
    fn a_route_that_starts_with_a_parameter_is_still_found() {
        let ops = [op("GET", "/{scope}/items"), op("GET", "/files/items")];
        let router = Router::new(&ops);
        assert_eq!(
            router.find("GET", "/files/items", None),
            RouteMatch::Found(1, vec![])
        );
        assert_eq!(
            router.find("GET", "/other/items", None),
            RouteMatch::Found(0, vec![("scope".into(), "other".into())])
        );
        assert_eq!(router.find("GET", "/", None), RouteMatch::NotFound);
    }

    #[test]
    fn wrong_method_lists_the_allowed_ones() {
        let router = Router::new(&[op("GET", "/models")]);
        assert_eq!(
            router.find("POST", "/models", None),
            RouteMatch::MethodNotAllowed(vec!["GET".into()])
        );
        assert_eq!(router.find("GET", "/nope", None), RouteMatch::NotFound);
    }

    #[test]
    fn path_parameters_are_percent_decoded() {
        let router = Router::new(&[op("GET", "/models/{model}")]);
        assert_eq!(
            router.find("GET", "/models/ft%3Agpt-4o", None),
            RouteMatch::Found(0, vec![("model".into(), "ft:gpt-4o".into())])
        );
    }

    #[test]
    fn a_query_keyed_variant_needs_its_query_and_wins_with_it() {
        let ops = [
            op("POST", "/responses"),
            op("POST", "/responses?beta=true"),
            op("GET", "/responses/{id}?beta=true"),
            op("GET", "/responses/{id}"),
        ];
        let router = Router::new(&ops);
        assert_eq!(
            router.find("POST", "/responses", None),
            RouteMatch::Found(0, vec![])
        );
        assert_eq!(
            router.find("POST", "/responses", Some("beta=false")),
            RouteMatch::Found(0, vec![])
        );
        assert_eq!(
            router.find("POST", "/responses", Some("x=1&beta=true")),
            RouteMatch::Found(1, vec![])
        );
        assert_eq!(
            router.find("GET", "/responses/resp_1", Some("beta=true")),
            RouteMatch::Found(2, vec![("id".into(), "resp_1".into())])
        );
        assert_eq!(
            router.find("GET", "/responses/resp_1", None),
            RouteMatch::Found(3, vec![("id".into(), "resp_1".into())])
        );
    }
}
