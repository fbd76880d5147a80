//! Client assets from the Vite manifest, served from memory with immutable caching.
use crate::support::{brotli, builder, fixtures};
use hiver::test::TestClient;

use crate::every_engine::every_engine;

every_engine! {
    fn manifest_files_are_served_immutable_with_types_and_etags(e) {
        let ssr = builder(e).build().unwrap();
        let mut paths: Vec<&str> = ssr.asset_paths().collect();
        paths.sort_unstable();
        assert_eq!(
            paths,
            [
                "/static/assets/font-222ccc.woff2",
                "/static/assets/logo-111bbb.svg",
                "/static/assets/main-789aaa.css",
                "/static/assets/main-abc123.js",
                "/static/assets/vendor-def456.js",
            ]
        );
        let client = TestClient::new(ssr.router());
        let cases = [
            ("main-abc123.js", "text/javascript; charset=utf-8"),
            ("vendor-def456.js", "text/javascript; charset=utf-8"),
            ("main-789aaa.css", "text/css; charset=utf-8"),
            ("logo-111bbb.svg", "image/svg+xml"),
            ("font-222ccc.woff2", "font/woff2"),
        ];
        for (file, content_type) in cases {
            let res = client.get(&format!("/static/assets/{file}")).send();
            assert_eq!(res.status(), 200, "{file}");
            assert_eq!(res.header("content-type"), Some(content_type), "{file}");
            assert_eq!(
                res.header("cache-control"),
                Some("public, max-age=31536000, immutable"),
                "{file}"
            );
            let on_disk = std::fs::read(fixtures().join("dist/assets").join(file)).unwrap();
            assert_eq!(res.bytes(), on_disk, "{file}");
            let etag = res.header("etag").unwrap().to_owned();
            let cached = client
                .get(&format!("/static/assets/{file}"))
                .header("if-none-match", etag.as_str())
                .send();
            assert_eq!(cached.status(), 304, "{file}");
            assert!(cached.bytes().is_empty());
        }
    }

    fn text_assets_are_served_compressed(e) {
        let ssr = builder(e).build().unwrap();
        let client = TestClient::new(ssr.router());
        let res = client
            .get("/static/assets/main-abc123.js")
            .header("accept-encoding", "br")
            .send();
        assert_eq!(res.header("content-encoding"), Some("br"));
        let on_disk = std::fs::read_to_string(fixtures().join("dist/assets/main-abc123.js")).unwrap();
        assert_eq!(brotli(&res.bytes()), on_disk);
        let font = client
            .get("/static/assets/font-222ccc.woff2")
            .header("accept-encoding", "br")
            .send();
        assert_eq!(
            font.header("content-encoding"),
            None,
            "woff2 is compressed already"
        );
    }

    fn unknown_assets_are_404_and_cdn_bases_are_not_served(e) {
        let ssr = builder(e).build().unwrap();
        let client = TestClient::new(ssr.router());
        assert_eq!(client.get("/static/assets/nope.js").send().status(), 404);
        let cdn = builder(e)
            .asset_base("https://cdn.example/app/")
            .build()
            .unwrap();
        assert_eq!(cdn.asset_paths().count(), 0);
        let off = builder(e).serve_assets(false).build().unwrap();
        assert_eq!(off.asset_paths().count(), 0);
    }
}
