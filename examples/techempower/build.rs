//! Sets `cfg(no_postgres)` when no PostgreSQL server binaries are found, so the tests that
//! need a throwaway cluster show as ignored (with the reason) instead of failing.
//! `PG_BIN=/nowhere` shows what a machine without PostgreSQL sees.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rustc-check-cfg=cfg(no_postgres)");
    println!("cargo:rerun-if-env-changed=PG_BIN");
    println!("cargo:rerun-if-env-changed=PATH");
    // Installing the package creates /usr/lib/postgresql, which changes /usr/lib.
    let watched = if Path::new("/usr/lib/postgresql").exists() {
        "/usr/lib/postgresql"
    } else {
        "/usr/lib"
    };
    println!("cargo:rerun-if-changed={watched}");
    if !found() {
        println!("cargo:rustc-cfg=no_postgres");
    }
}

fn found() -> bool {
    // PG_BIN, when set, is the only place looked at (as in `test_cluster::bin_dir`).
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return has_server(&PathBuf::from(dir));
    }
    let mut dirs = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        dirs.extend(entries.flatten().map(|e| e.path().join("bin")));
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.iter().any(|d| has_server(d))
}

fn has_server(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("postgres").is_file()
}
