//! SSR metrics from Rust and in a hiver Prometheus registry.
use crate::support::builder;
use hiver::Router;
use hiver::metrics::{self, Metrics};
use hiver::routing::get;
use hiver::test::TestClient;
use hiver_ssr::serve::PagePolicy;

use crate::every_engine::every_engine;

every_engine! {
    fn metrics_combine_cache_pool_and_handler_counters(e) {
        let ssr = builder(e)
            .page("/", PagePolicy::new())
            .page("/boom", PagePolicy::new())
            .build()
            .unwrap();
        let registry = Metrics::new();
        ssr.register_metrics(&registry);
        let app = Router::new()
            .route("/metrics", get(metrics::handler(&registry)))
            .merge(ssr.router());
        let client = TestClient::new(app);
        client.get("/").send();
        client.get("/").send();
        client.get("/boom").send();
        let m = ssr.metrics();
        assert_eq!((m.cache.hits_l1, m.cache.misses), (1, 2));
        assert_eq!((m.pool.renders, m.pool.js_errors), (2, 1));
        assert_eq!((m.shells, m.generation), (1, 1));
        assert_eq!(m.cache.hit_rate(), 1.0 / 3.0);

        let text = client.get("/metrics").send().text();
        for line in [
            r#"hiver_ssr_cache_lookups_total{result="hit_l1"} 1"#,
            r#"hiver_ssr_cache_lookups_total{result="miss"} 2"#,
            r#"hiver_ssr_render_errors_total{kind="js"} 1"#,
            "hiver_ssr_renders_total 2",
            "hiver_ssr_shells_total 1",
            "hiver_ssr_streamed_pages_total 0",
            r#"hiver_ssr_render_errors_total{kind="cancelled"} 0"#,
            "hiver_ssr_render_duration_seconds_count 2",
            "hiver_ssr_render_queue_depth 0",
            "hiver_ssr_bundle_generation 1",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
        assert!(text.contains("hiver_ssr_cache_bytes "), "{text}");
        assert!(text.contains("hiver_ssr_cache_hit_ratio 0.333"), "{text}");
    }

    fn collector_outlives_the_ssr_quietly(e) {
        let registry = Metrics::new();
        builder(e).build().unwrap().register_metrics(&registry);
        let text = registry.encode().unwrap();
        assert!(!text.contains("hiver_ssr_"), "{text}");
    }
}
