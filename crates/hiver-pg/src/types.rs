//! The Rust types that go into parameters and come out of columns, in PostgreSQL's binary
//! format.

use std::error::Error as StdError;

use bytes::BytesMut;
use postgres_protocol::{IsNull, Oid, types};

type DecodeError = Box<dyn StdError + Send + Sync>;

/// Type OIDs of the built-in types this client reads and writes.
pub mod oid {
    /// `boolean`
    pub const BOOL: u32 = 16;
    /// `name`
    pub const NAME: u32 = 19;
    /// `bigint`
    pub const INT8: u32 = 20;
    /// `smallint`
    pub const INT2: u32 = 21;
    /// `integer`
    pub const INT4: u32 = 23;
    /// `text`
    pub const TEXT: u32 = 25;
    /// `real`
    pub const FLOAT4: u32 = 700;
    /// `double precision`
    pub const FLOAT8: u32 = 701;
    /// `unknown` (an untyped literal)
    pub const UNKNOWN: u32 = 705;
    /// `character(n)`
    pub const BPCHAR: u32 = 1042;
    /// `character varying(n)`
    pub const VARCHAR: u32 = 1043;
}

fn is_text(oid: Oid) -> bool {
    matches!(
        oid,
        oid::TEXT | oid::VARCHAR | oid::BPCHAR | oid::NAME | oid::UNKNOWN
    )
}

/// A value that can be sent as a query parameter.
pub trait ToParam {
    /// Whether a parameter of type `oid` can take this value.
    fn accepts(&self, oid: Oid) -> bool;
    /// Appends the value in binary format (nothing for `NULL`).
    fn encode(&self, buf: &mut BytesMut) -> IsNull;
}

/// A value that can be read from a column.
pub trait FromValue<'a>: Sized {
    /// Whether a column of type `oid` can be read as this type.
    fn accepts(oid: Oid) -> bool;
    /// Decodes the column's binary value (`None` for `NULL`).
    ///
    /// # Errors
    ///
    /// `NULL` into a non-`Option`, or bytes that are not a value of the type.
    fn decode(raw: Option<&'a [u8]>) -> Result<Self, DecodeError>;
}

fn non_null(raw: Option<&[u8]>) -> Result<&[u8], DecodeError> {
    raw.ok_or_else(|| "NULL in a column read as a non-Option type".into())
}

macro_rules! scalar {
    ($ty:ty, [$($oid:path),+], $to:path, $from:path) => {
        impl ToParam for $ty {
            fn accepts(&self, oid: Oid) -> bool {
                matches!(oid, $($oid)|+)
            }
            fn encode(&self, buf: &mut BytesMut) -> IsNull {
                $to(*self, buf);
                IsNull::No
            }
        }
        impl FromValue<'_> for $ty {
            fn accepts(oid: Oid) -> bool {
                matches!(oid, $($oid)|+)
            }
            fn decode(raw: Option<&[u8]>) -> Result<Self, DecodeError> {
                $from(non_null(raw)?)
            }
        }
    };
}

scalar!(bool, [oid::BOOL], types::bool_to_sql, types::bool_from_sql);
scalar!(i16, [oid::INT2], types::int2_to_sql, types::int2_from_sql);
scalar!(i32, [oid::INT4], types::int4_to_sql, types::int4_from_sql);
scalar!(i64, [oid::INT8], types::int8_to_sql, types::int8_from_sql);
scalar!(
    f32,
    [oid::FLOAT4],
    types::float4_to_sql,
    types::float4_from_sql
);
scalar!(
    f64,
    [oid::FLOAT8],
    types::float8_to_sql,
    types::float8_from_sql
);

impl ToParam for str {
    fn accepts(&self, oid: Oid) -> bool {
        is_text(oid)
    }
    fn encode(&self, buf: &mut BytesMut) -> IsNull {
        types::text_to_sql(self, buf);
        IsNull::No
    }
}

impl ToParam for &str {
    fn accepts(&self, oid: Oid) -> bool {
        is_text(oid)
    }
    fn encode(&self, buf: &mut BytesMut) -> IsNull {
        (**self).encode(buf)
    }
}

impl ToParam for String {
    fn accepts(&self, oid: Oid) -> bool {
        is_text(oid)
    }
    fn encode(&self, buf: &mut BytesMut) -> IsNull {
        self.as_str().encode(buf)
    }
}

impl<T: ToParam> ToParam for Option<T> {
    fn accepts(&self, oid: Oid) -> bool {
        match self {
            Some(v) => v.accepts(oid),
            None => true,
        }
    }
    fn encode(&self, buf: &mut BytesMut) -> IsNull {
        match self {
            Some(v) => v.encode(buf),
            None => IsNull::Yes,
        }
    }
}

impl<'a> FromValue<'a> for &'a str {
    fn accepts(oid: Oid) -> bool {
        is_text(oid)
    }
    fn decode(raw: Option<&'a [u8]>) -> Result<Self, DecodeError> {
        types::text_from_sql(non_null(raw)?)
    }
}

impl FromValue<'_> for String {
    fn accepts(oid: Oid) -> bool {
        is_text(oid)
    }
    fn decode(raw: Option<&[u8]>) -> Result<Self, DecodeError> {
        <&str>::decode(raw).map(str::to_owned)
    }
}

impl<'a, T: FromValue<'a>> FromValue<'a> for Option<T> {
    fn accepts(oid: Oid) -> bool {
        T::accepts(oid)
    }
    fn decode(raw: Option<&'a [u8]>) -> Result<Self, DecodeError> {
        raw.map(|r| T::decode(Some(r))).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip_and_refuse_other_types() {
        let mut buf = BytesMut::new();
        assert!(matches!(7i32.encode(&mut buf), IsNull::No));
        assert_eq!(i32::decode(Some(&buf)).unwrap(), 7);
        assert!(i32::decode(Some(&buf[..3])).is_err());
        assert!(i32::decode(None).is_err());
        assert!(ToParam::accepts(&7i32, oid::INT4) && !ToParam::accepts(&7i32, oid::INT8));
        assert_eq!(Option::<i32>::decode(None).unwrap(), None);
    }

    #[test]
    fn text_round_trips_and_rejects_bad_utf8() {
        let mut buf = BytesMut::new();
        "フレーム".encode(&mut buf);
        assert_eq!(<&str>::decode(Some(&buf)).unwrap(), "フレーム");
        assert!(String::decode(Some(&[0xff, 0xfe])).is_err());
        assert!(<String as FromValue>::accepts(oid::VARCHAR));
        assert!(matches!(None::<&str>.encode(&mut buf), IsNull::Yes));
    }
}
