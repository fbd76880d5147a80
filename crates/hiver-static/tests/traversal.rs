//! Nothing outside the root is ever served: each way out is a 404, under both drivers.

mod common;

use common::Fixture;
use hiver::Driver;
use hiver::test::TestServer;

both_drivers!(
    dot_dot,
    encoded_dot_dot,
    encoded_slash,
    encoded_backslash,
    backslash,
    nul,
    absolute_path,
    symlink_out_of_the_root,
    symlink_inside_the_root_is_served,
    fallback_refuses_too,
);

fn assert_404(driver: Driver, paths: &[&str]) {
    let fixture = Fixture::new();
    let server = TestServer::with_driver(fixture.app(), driver);
    for path in paths {
        let res = server.get(path).send();
        assert_eq!(res.status(), 404, "{path}");
        assert!(!res.text().contains("secret"), "{path}");
    }
}

fn dot_dot(driver: Driver) {
    assert_404(
        driver,
        &["/assets/../secret.txt", "/assets/docs/../../secret.txt"],
    );
}

fn encoded_dot_dot(driver: Driver) {
    assert_404(
        driver,
        &[
            "/assets/%2e%2e/secret.txt",
            "/assets/%2E%2E/secret.txt",
            "/assets/.%2e/secret.txt",
        ],
    );
}

fn encoded_slash(driver: Driver) {
    assert_404(
        driver,
        &[
            "/assets/..%2fsecret.txt",
            "/assets/docs%2F..%2F..%2Fsecret.txt",
        ],
    );
}

fn encoded_backslash(driver: Driver) {
    assert_404(
        driver,
        &["/assets/..%5csecret.txt", "/assets/..%5Csecret.txt"],
    );
}

fn backslash(driver: Driver) {
    let fixture = Fixture::new();
    let server = TestServer::with_driver(fixture.app(), driver);
    // A raw `\` is not a valid request-target character: the HTTP layer may refuse it
    // (400) before routing; either way it is never served.
    let res = server.get("/assets/..\\secret.txt").send();
    assert!(
        matches!(res.status().as_u16(), 400 | 404),
        "{}",
        res.status()
    );
    assert!(!res.text().contains("secret"));
}

fn nul(driver: Driver) {
    assert_404(driver, &["/assets/plain.txt%00.png", "/assets/%00"]);
}

fn absolute_path(driver: Driver) {
    assert_404(
        driver,
        &[
            "/assets//etc/passwd",
            "/assets/%2fetc%2fpasswd",
            "//etc/passwd",
        ],
    );
}

fn symlink_out_of_the_root(driver: Driver) {
    assert_404(
        driver,
        &["/assets/outside-link", "/assets/parent-link/secret.txt"],
    );
}

fn symlink_inside_the_root_is_served(driver: Driver) {
    let fixture = Fixture::new();
    let server = TestServer::with_driver(fixture.app(), driver);
    let res = server.get("/assets/inside-link").send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "0123456789abcdefghij");
}

fn fallback_refuses_too(driver: Driver) {
    assert_404(
        driver,
        &["/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt"],
    );
}
