//! What a GET or HEAD serves: the preconditions (If-Match, If-None-Match,
//! If-Modified-Since, If-Unmodified-Since) and the byte range.

use s3s::dto::{ETag, ETagCondition, Range, Timestamp};
use s3s::{S3Error, S3ErrorCode, S3Result, s3_error};

use super::SimS3;
use crate::sim::store::Object;

/// The conditional headers of a GET or HEAD.
pub(super) struct Conditions<'a> {
    pub if_match: Option<&'a ETagCondition>,
    pub if_none_match: Option<&'a ETagCondition>,
    pub if_modified_since: Option<&'a Timestamp>,
    pub if_unmodified_since: Option<&'a Timestamp>,
}

/// What a GET or HEAD serves: the object and the byte range `start..end`.
pub(super) struct ReadTarget {
    pub object: std::sync::Arc<Object>,
    pub start: u64,
    pub end: u64,
    pub content_range: Option<String>,
    /// `x-amz-mp-parts-count`, answered to a request naming a `partNumber`.
    pub parts_count: Option<i32>,
}

/// [`read_target`] for a GetObject or HeadObject input (same field names).
macro_rules! read_target_of {
    ($sim:expr, $input:expr) => {
        $crate::sim::ops::conditional::read_target(
            $sim,
            &$input.bucket,
            &$input.key,
            $crate::sim::ops::conditional::Conditions {
                if_match: $input.if_match.as_ref(),
                if_none_match: $input.if_none_match.as_ref(),
                if_modified_since: $input.if_modified_since.as_ref(),
                if_unmodified_since: $input.if_unmodified_since.as_ref(),
            },
            $input.range.as_ref(),
            $input.part_number,
        )
    };
}
pub(super) use read_target_of;

/// The object a GET or HEAD reads, after its preconditions, and the bytes it serves.
pub(super) fn read_target(
    sim: &SimS3,
    bucket: &str,
    key: &str,
    c: Conditions<'_>,
    range: Option<&Range>,
    part_number: Option<i32>,
) -> S3Result<ReadTarget> {
    let object = sim.store().get(bucket, key)?;
    check_preconditions(&object, &c)?;
    let ((start, end, content_range), parts_count) = match (part_number, range) {
        (None, _) => (resolve_range(range, object.size)?, None),
        (Some(_), Some(_)) => {
            return Err(s3_error!(
                InvalidRequest,
                "Cannot specify both Range header and partNumber query parameter"
            ));
        }
        (Some(n), None) => resolve_part(&object, n)?,
    };
    Ok(ReadTarget {
        object,
        start,
        end,
        content_range,
        parts_count,
    })
}

/// A part's byte range and Content-Range, and the object's parts count.
type PartRead = ((u64, u64, Option<String>), Option<i32>);

/// The bytes of part `number`: a ranged read of that part, with the object's parts
/// count; a single-part object is one part
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>, `partNumber`,
/// and `x-amz-mp-parts-count`). Parts are numbered 1..N in the order the completed
/// upload listed them.
fn resolve_part(object: &Object, number: i32) -> S3Result<PartRead> {
    if !(1..=10_000).contains(&number) {
        return Err(s3_error!(
            InvalidArgument,
            "Part number must be an integer between 1 and 10000, inclusive"
        ));
    }
    let size = object.size;
    let n = u32::try_from(number).unwrap_or(0);
    let (start, end, count) = match object.parts() {
        None if n == 1 => (0, size, 1),
        Some(layout) => match layout.range(n, size) {
            Some((start, end)) => (start, end, layout.count()),
            None => return Err(invalid_part_number()),
        },
        None => return Err(invalid_part_number()),
    };
    let content_range = (end > start).then(|| format!("bytes {start}-{}/{size}", end - 1));
    Ok((
        (start, end, content_range),
        Some(i32::try_from(count).unwrap_or(i32::MAX)),
    ))
}

fn invalid_part_number() -> S3Error {
    let mut e = S3Error::with_message(
        S3ErrorCode::Custom("InvalidPartNumber".into()),
        "The requested partnumber is not satisfiable",
    );
    e.set_status_code(hyper::StatusCode::RANGE_NOT_SATISFIABLE);
    e
}

/// Applies the conditional headers as S3 does for GET and HEAD
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>): a failed
/// If-Match or If-Unmodified-Since is 412; a matching If-None-Match or an unmodified
/// If-Modified-Since is 304; If-Match wins over If-Unmodified-Since and If-None-Match
/// over If-Modified-Since.
fn check_preconditions(o: &Object, c: &Conditions<'_>) -> S3Result<()> {
    // The object's ETag is written out only for a condition that compares it.
    let current = std::cell::OnceCell::new();
    let last_modified = o.last_modified();
    let matches = |c: &ETagCondition| match c {
        ETagCondition::Any => true,
        ETagCondition::ETag(e) => current.get_or_init(|| ETag::Strong(o.etag.to_string())).weak_cmp(e),
    };
    let failed = || {
        s3_error!(
            PreconditionFailed,
            "At least one of the pre-conditions you specified did not hold"
        )
    };
    match (c.if_match, c.if_unmodified_since) {
        (Some(m), _) if !matches(m) => return Err(failed()),
        (None, Some(t)) if last_modified > time::OffsetDateTime::from(t.clone()) => return Err(failed()),
        _ => {}
    }
    let not_modified = || {
        let mut e = S3Error::new(S3ErrorCode::NotModified);
        e.set_status_code(hyper::StatusCode::NOT_MODIFIED);
        e
    };
    match (c.if_none_match, c.if_modified_since) {
        (Some(m), _) if matches(m) => return Err(not_modified()),
        (None, Some(t)) if last_modified <= time::OffsetDateTime::from(t.clone()) => return Err(not_modified()),
        _ => {}
    }
    Ok(())
}

/// The byte range to serve, and the Content-Range header for a partial answer.
fn resolve_range(range: Option<&Range>, size: u64) -> S3Result<(u64, u64, Option<String>)> {
    match range {
        None => Ok((0, size, None)),
        // A suffix range of an empty object is answered 200 with the (empty) object, as
        // S3 does, where RFC 9110 would have no byte to satisfy it; every other range of
        // an empty object is 416 InvalidRange.
        Some(Range::Suffix { length }) if size == 0 && *length > 0 => Ok((0, 0, None)),
        Some(r) => {
            let r = r.check(size)?;
            let header = format!("bytes {}-{}/{size}", r.start, r.end - 1);
            Ok((r.start, r.end, Some(header)))
        }
    }
}
