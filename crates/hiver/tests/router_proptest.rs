//! Property tests for the router: random route tables match what was registered, with
//! percent-encoded parameters round-tripping, and arbitrary paths never panic.

use std::collections::{BTreeMap, BTreeSet};

use hiver::extract::{MatchedPath, Path};
use hiver::http::{Method, Uri};
use hiver::routing::get;
use hiver::test::TestClient;
use hiver::{Json, Router};
use proptest::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Seg {
    /// Lowercase letters only, so it can never equal a generated parameter value.
    Static(String),
    Param,
}

/// A route shape; parameters are named by position (`p0`, `p1`, …) so two routes never
/// disagree on a parameter's name (matchit rejects that as a conflict).
fn shape() -> impl Strategy<Value = Vec<Seg>> {
    let seg = prop_oneof!["[a-z]{1,3}".prop_map(Seg::Static), Just(Seg::Param)];
    prop::collection::vec(seg, 1..5)
}

fn pattern(shape: &[Seg]) -> String {
    shape
        .iter()
        .enumerate()
        .map(|(i, s)| match s {
            Seg::Static(name) => format!("/{name}"),
            Seg::Param => format!("/{{p{i}}}"),
        })
        .collect()
}

/// Percent-encodes every byte outside the RFC 3986 unreserved set.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A parameter value: starts with an uppercase letter so it never equals a static segment.
fn value() -> impl Strategy<Value = String> {
    "[A-Z]\\PC{0,8}"
}

/// A registered pattern, a concrete path matching it, and the params expected for it.
type Case = (String, String, Vec<(String, String)>);

/// A route table, one concrete path per route.
fn table() -> impl Strategy<Value = Vec<Case>> {
    prop::collection::btree_set(shape(), 1..12).prop_flat_map(|shapes: BTreeSet<Vec<Seg>>| {
        let per_route: Vec<_> = shapes
            .into_iter()
            .map(|shape| {
                let n = shape.len();
                (Just(shape), prop::collection::vec(value(), n))
            })
            .collect();
        per_route.prop_map(|routes| {
            routes
                .into_iter()
                .map(|(shape, values)| concrete(&shape, &values))
                .collect()
        })
    })
}

fn concrete(shape: &[Seg], values: &[String]) -> Case {
    let mut path = String::new();
    let mut params = Vec::new();
    for (i, (seg, value)) in shape.iter().zip(values).enumerate() {
        match seg {
            Seg::Static(name) => path.push_str(&format!("/{name}")),
            Seg::Param => {
                path.push_str(&format!("/{}", encode(value)));
                params.push((format!("p{i}"), value.clone()));
            }
        }
    }
    (pattern(shape), path, params)
}

async fn echo(
    matched: MatchedPath,
    params: Option<Path<BTreeMap<String, String>>>,
) -> Json<(String, BTreeMap<String, String>)> {
    let params = params.map(|Path(p)| p).unwrap_or_default();
    Json((matched.as_str().to_owned(), params))
}

fn router(patterns: impl Iterator<Item = String>) -> Router {
    patterns.fold(Router::new(), |r, p| r.route(&p, get(echo)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn registered_routes_match_with_their_params(routes in table()) {
        let app = router(routes.iter().map(|(p, _, _)| p.clone()));
        for (pattern, path, params) in &routes {
            let m = app.match_route(&Method::GET, path);
            let m = m.ok_or_else(|| TestCaseError::fail(format!("{path} unmatched")))?;
            prop_assert_eq!(m.pattern(), pattern.as_str());
            prop_assert_eq!(m.params(), Some(&params[..]));
            prop_assert!(m.is_method_allowed());
            prop_assert!(!app.match_route(&Method::POST, path).unwrap().is_method_allowed());
        }
    }

    #[test]
    fn handlers_see_the_decoded_params(routes in table()) {
        let client = TestClient::new(router(routes.iter().map(|(p, _, _)| p.clone())));
        for (pattern, path, params) in &routes {
            let res = client.get(path).send();
            prop_assert_eq!(res.status(), 200);
            let (matched, got): (String, BTreeMap<String, String>) = res.json();
            prop_assert_eq!(&matched, pattern);
            let expected: BTreeMap<String, String> = params.iter().cloned().collect();
            prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn catch_all_rest_round_trips(segments in prop::collection::vec(value(), 1..4)) {
        let app: Router = Router::new().route("/files/{*rest}", get(echo));
        let path = format!(
            "/files/{}",
            segments.iter().map(|s| encode(s)).collect::<Vec<_>>().join("/")
        );
        let m = app.match_route(&Method::GET, &path).unwrap();
        prop_assert_eq!(m.params(), Some(&[("rest".to_owned(), segments.join("/"))][..]));
    }

    #[test]
    fn arbitrary_paths_never_panic(routes in table(), path in "\\PC{0,40}", raw in "/[!-~]{0,40}") {
        let app = router(routes.iter().map(|(p, _, _)| p.clone()));
        let _ = app.match_route(&Method::GET, &path);
        let _ = app.match_route(&Method::GET, &raw);
        if raw.parse::<Uri>().is_ok() {
            let status = TestClient::new(app).get(&raw).send().status();
            prop_assert!(status == 200 || status == 400 || status == 404, "{}", status);
        }
    }
}
