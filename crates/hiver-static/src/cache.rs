//! Which files get a long-lived `Cache-Control`: those whose name carries a content hash.

/// `Cache-Control` of a file whose name changes whenever its content does.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `Cache-Control` of every other file by default: caches keep it but revalidate it
/// (a cheap 304 thanks to the `ETag`) before each use.
pub const REVALIDATE: &str = "no-cache";

/// Whether a file name carries a content hash, as Vite, Rollup, esbuild and webpack emit
/// them (`index-B3d_xYz1.js`, `chunk-ABCD1234.js`, `main.3f9a2b1c5d.css`).
///
/// The rule: take the name without its last extension and, among its suffixes that
/// follow a `-` or a `.`, the shortest one of at least 8 characters. The name is hashed
/// when that suffix is made of base64url characters (`A–Z a–z 0–9 _ -`), has no `-`
/// unless it is exactly 8 long (Vite's hashes may contain one), is at most 64 long, and
/// contains a digit or an uppercase letter (a hand-written name such as `my-component`
/// has neither). A name like `Site-Navigation.png` is a false positive: replace the rule
/// with [`ServeDirBuilder::immutable_if`](crate::ServeDirBuilder::immutable_if) where
/// that matters.
///
/// # Examples
///
/// ```
/// use hiver_static::is_hashed_name;
///
/// assert!(is_hashed_name("index-B3d-xYz1.js"));
/// assert!(is_hashed_name("assets/main.3f9a2b1c5d.css"));
/// assert!(!is_hashed_name("my-component.js"));
/// assert!(!is_hashed_name("jquery-3.7.1.min.js"));
/// assert!(!is_hashed_name("favicon.ico"));
/// ```
pub fn is_hashed_name(name: &str) -> bool {
    let name = name.rsplit('/').next().unwrap_or(name);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let Some(token) = stem
        .char_indices()
        .rev()
        .filter(|&(_, c)| c == '-' || c == '.')
        .map(|(i, _)| &stem[i + 1..])
        .find(|token| token.len() >= 8)
    else {
        return false;
    };
    let base64url = token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let dash_ok = !token.contains('-') || token.len() == 8;
    let random = token
        .bytes()
        .any(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    base64url && dash_ok && token.len() <= 64 && random
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names() {
        for name in [
            "index-B3d-xYz1.js",
            "index-Bq8sVx_1.css",
            "chunk-ABCDEFGH.js",
            "main.3f9a2b1c5d6e7f809a1b.js",
            "logo-a1b2c3d4.svg",
        ] {
            assert!(is_hashed_name(name), "{name}");
        }
    }

    #[test]
    fn plain_names() {
        for name in [
            "index.html",
            "my-component.js",
            "my-component-v2.js",
            "react-dom.production.min.js",
            "logo-2x.png",
            "favicon.ico",
            "index-abcdefgh.js",
            "",
        ] {
            assert!(!is_hashed_name(name), "{name}");
        }
    }
}
