//! The bytes schema inference reads, fetched once at capture time: the first bytes of
//! each sampled CSV file, the footer of each sampled Parquet file. Which files and
//! which bytes come from the connector itself (`s3_connector::connector::schema_reads`),
//! so the captured scenario answers every read inference makes and nothing more.

use bytes::Bytes;
use s3_connector::connector::{SampleBytes, SampleRead};

use super::CaptureError;
use super::live::{Budget, get_range};
use super::progress::Progress;

/// What was captured of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sample {
    /// The whole object (a CSV file no larger than the sample).
    Whole(Bytes),
    /// Its first bytes.
    Head(Bytes),
    /// Its last bytes (a Parquet footer with its length and magic).
    Tail(Bytes),
}

/// One object's captured bytes.
#[derive(Debug, Clone)]
pub struct Captured {
    /// The object key.
    pub key: String,
    /// Its size as listed.
    pub size: u64,
    /// Its bytes.
    pub sample: Sample,
}

/// Fetches `reads`; a file that cannot be read (denied, archived) is left out and
/// named in the returned notes, and stays "bytes unknown" in the scenario.
pub async fn fetch(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    reads: &[SampleRead],
    budget: &mut Budget,
    progress: &Progress,
) -> Result<(Vec<Captured>, Vec<String>), CaptureError> {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let mut bytes_total = 0u64;
    for read in reads {
        let sample = match read.bytes {
            SampleBytes::Head(len) => {
                let range = format!("bytes=0-{}", len.saturating_sub(1));
                get_range(client, bucket, &read.key, &range, budget).await.map(|b| {
                    if b.len() as u64 >= read.size {
                        Sample::Whole(b)
                    } else {
                        Sample::Head(b)
                    }
                })
            }
            SampleBytes::ParquetFooter => parquet_tail(client, bucket, read, budget).await,
        };
        match sample {
            Ok(sample) => {
                bytes_total += match &sample {
                    Sample::Whole(b) | Sample::Head(b) | Sample::Tail(b) => b.len() as u64,
                };
                out.push(Captured {
                    key: read.key.clone(),
                    size: read.size,
                    sample,
                });
                progress.sampled(out.len() as u64, bytes_total);
            }
            Err(e @ CaptureError::Budget { .. }) => return Err(e),
            Err(e) => notes.push(format!("`{}` was not sampled: {e}", read.key)),
        }
    }
    Ok((out, notes))
}

/// The file's last 64 KiB (all of it when smaller), then the whole footer when it is
/// longer than that: the same reads the connector makes, so the captured tail answers them.
async fn parquet_tail(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    read: &SampleRead,
    budget: &mut Budget,
) -> Result<Sample, CaptureError> {
    let guess = read.size.min(s3_connector::schema::parquet::SPECULATIVE_TAIL_LEN);
    let first = get_range(client, bucket, &read.key, &format!("bytes=-{guess}"), budget).await?;
    let Ok(footer) = s3_connector::schema::parquet::footer_len(&first) else {
        // Not a Parquet tail: inference stops at this read, and so does the capture.
        return Ok(Sample::Tail(first));
    };
    let need = u64::from(footer) + 8;
    if need <= first.len() as u64 || need > read.size {
        return Ok(Sample::Tail(first));
    }
    let tail = get_range(client, bucket, &read.key, &format!("bytes=-{need}"), budget).await?;
    Ok(Sample::Tail(tail))
}
