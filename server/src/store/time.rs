//! [`Ts`]: one timestamp type for both dialects (Postgres `timestamptz`, SQLite integer milliseconds).

use serde::{Deserialize, Serialize};
use sqlx::{
    encode::IsNull,
    error::BoxDynError,
    postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef},
    sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef},
    Decode, Encode, Postgres, Sqlite, Type,
};
use time::{Duration, OffsetDateTime};

/// A UTC instant with millisecond precision, so it round-trips identically through both stores.
/// SQLite keeps integer milliseconds, which compare and sort correctly with plain `<`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Ts(#[serde(with = "time::serde::rfc3339")] pub(crate) OffsetDateTime);

impl Ts {
    /// Now, truncated to milliseconds.
    pub(crate) fn now() -> Self {
        Self::from_millis(unix_millis(OffsetDateTime::now_utc()))
    }

    /// From unix milliseconds (out-of-range values clamp to the epoch).
    pub(crate) fn from_millis(ms: i64) -> Self {
        Self(
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        )
    }

    /// Unix milliseconds.
    pub(crate) fn millis(self) -> i64 {
        unix_millis(self.0)
    }

    /// Unix seconds (JWT `iat`/`exp`).
    pub(crate) fn unix(self) -> i64 {
        self.0.unix_timestamp()
    }

    /// This instant plus `d`.
    pub(crate) fn plus(self, d: Duration) -> Self {
        Self::from_millis(unix_millis(self.0 + d))
    }
}

fn unix_millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

impl Type<Sqlite> for Ts {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Ts {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<'q, Sqlite>>::encode(self.millis(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self::from_millis(<i64 as Decode<'r, Sqlite>>::decode(
            value,
        )?))
    }
}

impl Type<Postgres> for Ts {
    fn type_info() -> PgTypeInfo {
        <OffsetDateTime as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <OffsetDateTime as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <OffsetDateTime as Encode<'_, Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(<OffsetDateTime as Decode<'r, Postgres>>::decode(
            value,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millisecond_round_trip() {
        let t = Ts::now();
        assert_eq!(Ts::from_millis(t.millis()), t);
        assert_eq!(t.plus(Duration::seconds(1)).millis() - t.millis(), 1000);
    }
}
