//! Bad input to `hiver serve` and `hiver check`: each is refused before anything listens,
//! with one line naming the file (and line), the variable or the flag, and exit status 2.

mod support;

use support::{finish, fixture, hiver, scratch};

fn path(relative: &str) -> String {
    fixture(relative).display().to_string()
}

/// `hiver serve` on the fixture site with `replace` swapped in for flags of the same name.
fn serve(replace: &[(&str, &str)]) -> std::process::Command {
    let mut flags = vec![
        ("--bundle", path("site/server.js")),
        ("--manifest", path("site/dist/.vite/manifest.json")),
        ("--props", path("site/props.json")),
        ("--port", "0".to_owned()),
    ];
    for (flag, value) in replace {
        match flags.iter_mut().find(|(f, _)| f == flag) {
            Some(entry) => entry.1 = (*value).to_owned(),
            None => flags.push((flag, (*value).to_owned())),
        }
    }
    let mut args = vec!["serve".to_owned()];
    for (flag, value) in flags {
        args.push(flag.to_owned());
        args.push(value);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    hiver(&args)
}

#[test]
fn a_missing_bundle_is_named() {
    finish(serve(&[("--bundle", "no/such/server.js")])).assert_error(2, "no/such/server.js");
}

#[test]
fn a_bundle_that_throws_while_loading_is_named_with_its_line() {
    let broken = path("broken.js");
    let finished = finish(serve(&[("--bundle", &broken)]));
    finished.assert_error(2, &format!("{broken}:2: "));
    assert!(
        finished.errors()[0].contains("cannot start: missing config"),
        "{finished:#?}"
    );
}

#[test]
fn a_missing_manifest_is_named() {
    let finished = finish(serve(&[("--manifest", "no/such/manifest.json")]));
    finished.assert_error(2, "no/such/manifest.json: cannot read");
}

#[test]
fn several_entries_without_a_choice_are_listed() {
    let manifest = path("two-entries/.vite/manifest.json");
    let finished = finish(serve(&[("--manifest", &manifest)]));
    finished.assert_error(
        2,
        "2 entry chunks (src/admin.js, src/main.js); choose one with --entry",
    );
}

#[test]
fn an_unknown_entry_is_named() {
    let finished = finish(serve(&[("--entry", "src/nope.js")]));
    finished.assert_error(2, r#"no entry "src/nope.js" in the manifest"#);
}

#[test]
fn a_missing_props_file_is_named() {
    let finished = finish(serve(&[("--props", "no/such/props.json")]));
    finished.assert_error(2, "no/such/props.json: cannot read the props: ");
}

#[test]
fn invalid_json_props_are_named_with_line_and_column() {
    let props = path("bad-props.json");
    let finished = finish(serve(&[("--props", &props)]));
    finished.assert_error(2, &format!("{props}:4:1: invalid JSON props: "));
}

#[test]
fn a_bad_config_value_names_file_line_and_key() {
    let dir = scratch("bad-config-value");
    let file = dir.join("hiver.toml");
    let text = "# site\n[server]\nhost = \"127.0.0.1\"\nworkers = 1\n\n\nport = \"http\"\n";
    std::fs::write(&file, text).expect("write hiver.toml");
    let mut command = hiver(&["serve", "--bundle", "x.js"]);
    command.current_dir(&dir);
    finish(command).assert_error(
        2,
        r#"hiver: hiver.toml:7: server.port: expected an integer 0..=65535, got "http""#,
    );
}

#[test]
fn an_unknown_config_key_names_file_line_and_key() {
    let dir = scratch("unknown-config-key");
    let file = dir.join("site.toml");
    std::fs::write(&file, "[ssr]\nbundel = \"server.js\"\n").expect("write site.toml");
    let file = file.display().to_string();
    let finished = finish(hiver(&["serve", "--config", &file]));
    finished.assert_error(2, &format!("{file}:2: ssr.bundel: unknown key"));
}

#[test]
fn a_missing_config_file_is_named() {
    let finished = finish(hiver(&["serve", "--config", "no/such/hiver.toml"]));
    finished.assert_error(2, "no/such/hiver.toml: cannot read: ");
}

#[test]
fn a_bad_variable_is_named() {
    let mut command = serve(&[]);
    command.env("HIVER_PORT", "http");
    finish(command).assert_error(
        2,
        r#"HIVER_PORT: expected an integer 0..=65535, got "http""#,
    );
    let mut command = serve(&[]);
    command.env("HIVER_DRIVER", "kqueue");
    finish(command).assert_error(2, "HIVER_DRIVER: expected \"uring\" or \"epoll\"");
}

#[test]
fn a_bad_flag_is_refused_by_the_parser() {
    let finished = finish(serve(&[("--port", "http")]));
    assert_eq!(finished.code(), Some(2), "{finished:#?}");
    assert!(finished.stderr.contains("--port"), "{finished:#?}");
    assert!(
        finished
            .stderr
            .contains(r#"expected an integer 0..=65535, got "http""#)
    );
    let finished = finish(hiver(&["serve", "--static", "dist"]));
    assert_eq!(finished.code(), Some(2), "{finished:#?}");
}

#[test]
fn no_bundle_anywhere_says_how_to_give_one() {
    finish(hiver(&["serve"])).assert_error(2, "no server bundle: pass --bundle FILE");
}

#[cfg(not(feature = "v8"))]
#[test]
fn v8_without_the_feature_says_how_to_build_it() {
    let finished = finish(serve(&[("--engine", "v8")]));
    finished.assert_error(2, "--features v8");
}

#[test]
fn check_renders_the_root_once() {
    let bundle = path("site/server.js");
    let manifest = path("site/dist/.vite/manifest.json");
    let finished = finish(hiver(&[
        "check",
        "--bundle",
        &bundle,
        "--manifest",
        &manifest,
    ]));
    assert_eq!(finished.code(), Some(0), "{finished:#?}");
    assert!(
        finished
            .stdout
            .starts_with("hiver: / rendered with status 200 in "),
        "{finished:#?}"
    );
}

#[test]
fn check_refuses_a_broken_bundle() {
    let broken = path("broken.js");
    finish(hiver(&["check", "--bundle", &broken])).assert_error(2, &format!("{broken}:2: "));
}

#[test]
fn help_covers_every_command() {
    for args in [&["--help"][..], &["serve", "--help"], &["check", "--help"]] {
        let finished = finish(hiver(args));
        assert_eq!(finished.code(), Some(0), "{finished:#?}");
        assert!(
            finished.stdout.contains("Examples:"),
            "{args:?}: {}",
            finished.stdout
        );
    }
    let serve = finish(hiver(&["serve", "--help"])).stdout;
    for needle in [
        "--bundle <FILE>",
        "--props <FILE.json>",
        "--driver <DRIVER>",
        "HIVER_CACHE_TTL",
    ] {
        assert!(serve.contains(needle), "{needle} not in:\n{serve}");
    }
}

#[test]
fn a_missing_static_directory_is_named() {
    finish(serve(&[("--static", "no/such/public")])).assert_error(2, "no/such/public");
}
