//! A serde `Deserializer` over the matched route parameters.
//!
//! One parameter deserializes into a plain value, several into a tuple, sequence, struct
//! or map (structs and maps by parameter name, tuples and sequences in route order).

use std::any::type_name;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

/// Why the parameters did not fit the target type.
#[derive(Debug)]
pub(crate) enum PathDeError {
    /// The target wants a different number of parameters (a route/handler mismatch).
    WrongCount { got: usize, expected: usize },
    /// A value did not parse as the target type (client error).
    Parse {
        key: String,
        value: String,
        expected: &'static str,
    },
    /// The target type cannot come from a path (a handler bug).
    Unsupported(&'static str),
    /// Serde's own message, such as a missing field (client error).
    Message(String),
}

impl PathDeError {
    pub(crate) fn is_client_error(&self) -> bool {
        matches!(self, PathDeError::Parse { .. } | PathDeError::Message(_))
    }
}

impl fmt::Display for PathDeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathDeError::WrongCount { got, expected } => write!(
                f,
                "Wrong number of path arguments for `Path`. Expected {expected} but got {got}"
            ),
            PathDeError::Parse {
                key,
                value,
                expected,
            } => write!(
                f,
                "Cannot parse `{key}` with value `{value}` to a `{expected}`"
            ),
            PathDeError::Unsupported(ty) => write!(f, "Unsupported type `{ty}`"),
            PathDeError::Message(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for PathDeError {}

impl de::Error for PathDeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        PathDeError::Message(msg.to_string())
    }
}

/// Deserializes the whole parameter list.
pub(crate) struct PathDeserializer<'de> {
    pub(crate) params: &'de [(String, String)],
}

impl<'de> PathDeserializer<'de> {
    fn single(&self) -> Result<ValueDeserializer<'de>, PathDeError> {
        match self.params {
            [(key, value)] => Ok(ValueDeserializer { key, value }),
            _ => Err(PathDeError::WrongCount {
                got: self.params.len(),
                expected: 1,
            }),
        }
    }

    fn seq(&self, expected: Option<usize>) -> Result<ParamSeq<'de>, PathDeError> {
        match expected {
            Some(n) if n != self.params.len() => Err(PathDeError::WrongCount {
                got: self.params.len(),
                expected: n,
            }),
            _ => Ok(ParamSeq {
                params: self.params.iter(),
            }),
        }
    }
}

macro_rules! forward_single {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathDeError> {
                self.single()?.$method(visitor)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for PathDeserializer<'de> {
    type Error = PathDeError;

    forward_single! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_identifier
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathDeError> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathDeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PathDeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PathDeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathDeError> {
        visitor.visit_seq(self.seq(None)?)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, PathDeError> {
        visitor.visit_seq(self.seq(Some(len))?)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, PathDeError> {
        visitor.visit_seq(self.seq(Some(len))?)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathDeError> {
        visitor.visit_map(ParamMap {
            params: self.params.iter(),
            value: None,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PathDeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PathDeError> {
        self.single()?.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathDeError> {
        visitor.visit_unit()
    }
}

struct ParamSeq<'de> {
    params: std::slice::Iter<'de, (String, String)>,
}

impl<'de> SeqAccess<'de> for ParamSeq<'de> {
    type Error = PathDeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, PathDeError> {
        match self.params.next() {
            Some((key, value)) => seed.deserialize(ValueDeserializer { key, value }).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.params.len())
    }
}

struct ParamMap<'de> {
    params: std::slice::Iter<'de, (String, String)>,
    value: Option<&'de (String, String)>,
}

impl<'de> MapAccess<'de> for ParamMap<'de> {
    type Error = PathDeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, PathDeError> {
        match self.params.next() {
            Some(pair) => {
                self.value = Some(pair);
                seed.deserialize(pair.0.as_str().into_deserializer())
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, PathDeError> {
        match self.value.take() {
            Some((key, value)) => seed.deserialize(ValueDeserializer { key, value }),
            None => Err(PathDeError::Message("value requested before key".into())),
        }
    }
}

/// Deserializes one parameter's (percent-decoded) value.
struct ValueDeserializer<'de> {
    key: &'de str,
    value: &'de str,
}

impl ValueDeserializer<'_> {
    fn parse<T: std::str::FromStr>(&self) -> Result<T, PathDeError> {
        self.value.parse().map_err(|_| PathDeError::Parse {
            key: self.key.to_owned(),
            value: self.value.to_owned(),
            expected: type_name::<T>(),
        })
    }
}

macro_rules! parse_value {
    ($($method:ident => $visit:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathDeError> {
                visitor.$visit(self.parse()?)
            }
        )*
    };
}

macro_rules! unsupported {
    ($($method:ident($($arg:ty),*) => $ty:literal),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, $(_: $arg,)* _visitor: V) -> Result<V::Value, PathDeError> {
                Err(PathDeError::Unsupported($ty))
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'de> {
    type Error = PathDeError;

    parse_value! {
        deserialize_bool => visit_bool, deserialize_i8 => visit_i8,
        deserialize_i16 => visit_i16, deserialize_i32 => visit_i32,
        deserialize_i64 => visit_i64, deserialize_i128 => visit_i128,
        deserialize_u8 => visit_u8, deserialize_u16 => visit_u16,
        deserialize_u32 => visit_u32, deserialize_u64 => visit_u64,
        deserialize_u128 => visit_u128, deserialize_f32 => visit_f32,
        deserialize_f64 => visit_f64, deserialize_char => visit_char,
    }

    unsupported! {
        deserialize_seq() => "sequence inside a path parameter",
        deserialize_map() => "map inside a path parameter",
        deserialize_tuple(usize) => "tuple inside a path parameter",
        deserialize_tuple_struct(&'static str, usize) => "tuple struct inside a path parameter",
        deserialize_struct(&'static str, &'static [&'static str]) => "struct inside a path parameter",
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathDeError> {
        visitor.visit_borrowed_str(self.value)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathDeError> {
        visitor.visit_borrowed_str(self.value)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathDeError> {
        visitor.visit_borrowed_str(self.value)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathDeError> {
        visitor.visit_borrowed_str(self.value)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathDeError> {
        visitor.visit_borrowed_bytes(self.value.as_bytes())
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathDeError> {
        visitor.visit_borrowed_bytes(self.value.as_bytes())
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathDeError> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathDeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PathDeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PathDeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PathDeError> {
        let de: de::value::BorrowedStrDeserializer<'de, PathDeError> =
            de::value::BorrowedStrDeserializer::new(self.value);
        de::Deserializer::deserialize_enum(de, name, variants, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathDeError> {
        visitor.visit_unit()
    }
}
