//! Writes the schema-inference fixtures in `fixtures/` (see `fixtures/README.md`).
//!
//! ```text
//! cargo run -p s3-connector --example make_fixtures [-- OUT_DIR]
//! ```
//!
//! Output is deterministic (fixed data, a fixed pseudo-random seed, a fixed Parquet
//! `created_by`, gzip headers without timestamps), so rerunning it leaves `git status` clean.
//! The CSV texts live here rather than as hand-edited files because their point is invisible
//! bytes (BOM, CRLF, tabs) that editors tend to "fix".
//!
//! `fixtures/users.csv` is not written here; it belongs to the connector's own tests.

use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::{Compression, GzBuilder};
use md5::Digest as _;
use parquet::basic::Compression as ParquetCompression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::SchemaDescriptor;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// 2025-01-01T00:00:00Z.
const EPOCH_2025_SECS: i64 = 1_735_689_600;
/// 2025-01-01 as days since 1970-01-01 (Parquet DATE).
const EPOCH_2025_DAYS: i32 = 20_089;

const USERS_SCHEMA: &str = "
message users {
  REQUIRED INT64 user_id;
  OPTIONAL BYTE_ARRAY name (STRING);
  REQUIRED INT32 signup_date (DATE);
  OPTIONAL DOUBLE score;
  REQUIRED BOOLEAN active;
  REQUIRED INT64 created_at (TIMESTAMP(MICROS,true));
}";

const USERS_EXTRA_COLUMN_SCHEMA: &str = "
message users {
  REQUIRED INT64 user_id;
  OPTIONAL BYTE_ARRAY name (STRING);
  REQUIRED INT32 signup_date (DATE);
  OPTIONAL DOUBLE score;
  REQUIRED BOOLEAN active;
  REQUIRED INT64 created_at (TIMESTAMP(MICROS,true));
  OPTIONAL BYTE_ARRAY country (STRING);
}";

const USERS_RETYPED_SCHEMA: &str = "
message users {
  REQUIRED BYTE_ARRAY user_id (STRING);
  OPTIONAL BYTE_ARRAY name (STRING);
  REQUIRED INT32 signup_date (DATE);
  OPTIONAL DOUBLE score;
  REQUIRED BOOLEAN active;
  REQUIRED INT64 created_at (TIMESTAMP(MICROS,true));
}";

const CLICKS_SCHEMA: &str = "
message clicks {
  REQUIRED INT64 click_id;
  REQUIRED INT64 user_id;
  REQUIRED BYTE_ARRAY url (STRING);
  REQUIRED INT64 ts (TIMESTAMP(MICROS,true));
}";

const NAMES: [&str; 10] = [
    "Ada", "Grace", "Alan", "Barbara", "Edsger", "Frances", "Donald", "Margaret", "Ken", "Radia",
];
const COUNTRIES: [&str; 10] = ["UK", "US", "UK", "US", "NL", "US", "US", "US", "US", "US"];

/// `;`-delimited, CRLF, quoted fields holding `;`, `,`, `""` and a line break.
const SEMICOLON_CSV: &str = "order_id;customer;total;shipped;note\r\n\
1001;\"Doe, Jane\";19.99;true;\"fragile; handle \"\"with care\"\"\"\r\n\
1002;Smith;5;false;\r\n\
1003;\"Multi\r\nline\";7.25;TRUE;ok\r\n\
1004;\"Lee; Ann\";12;FALSE;\"\"\r\n";

/// Tab-delimited with a UTF-8 BOM; timestamps in several ISO 8601 spellings.
const EVENTS_TAB_CSV: &str = "\u{FEFF}event_id\tuser_id\tevent_type\toccurred_at\tamount\tday\n\
1\t1\tsignup\t2025-01-01T09:00:00Z\t\t2025-01-01\n\
2\t1\tpurchase\t2025-01-01 10:15:30.250+01:00\t19.5\t2025-01-01\n\
3\t2\tpurchase\t2025-01-02T08:00:00.123456Z\t5\t2025-01-02\n\
4\t3\tlogout\t2025-01-02T09:30:00\t\t2025-01-02\n";

const NO_HEADER_CSV: &str = "1,2.5,3,2025-01-01\n4,5.0,6,2025-01-02\n7,-1.25,9,2025-01-03\n";

const USERS_EXTRA_COLUMN_CSV: &str = "user_id,name,signup_date,country\n1,Ada,2025-01-01,UK\n2,Grace,2025-01-02,US\n";

const NOT_PARQUET: &str = "user_id,name\n1,Ada\n2,Grace\n";

/// Target size of `big.csv`: several 64 KiB samples.
const BIG_CSV_MIN_LEN: usize = 200 * 1024;

/// The width of a sample ranged GET; `big.csv` must not have a row boundary there.
const SAMPLE_LEN: usize = 64 * 1024;

/// One column's values; `None` is a null (only for OPTIONAL columns).
enum Values {
    I64(Vec<Option<i64>>),
    Date(Vec<Option<i32>>),
    F64(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Str(Vec<Option<String>>),
}

fn main() -> Result<()> {
    let out: PathBuf = match std::env::args_os().nth(1) {
        Some(dir) => dir.into(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
    };
    fs::create_dir_all(&out)?;
    let write = |name: &str, bytes: &[u8]| -> Result<()> {
        fs::write(out.join(name), bytes)?;
        println!("{:>8} {name}", bytes.len());
        Ok(())
    };

    let users = write_parquet(USERS_SCHEMA, users_columns())?;
    write("users.parquet", &users)?;

    let mut extra = users_columns();
    extra.push(Values::Str(COUNTRIES.iter().map(|c| Some(c.to_string())).collect()));
    write(
        "users_extra_column.parquet",
        &write_parquet(USERS_EXTRA_COLUMN_SCHEMA, extra)?,
    )?;

    let mut retyped = users_columns();
    retyped[0] = Values::Str((1..=10).map(|id| Some(format!("u-{id:03}"))).collect());
    write("users_retyped.parquet", &write_parquet(USERS_RETYPED_SCHEMA, retyped)?)?;

    write("clicks.parquet", &write_parquet(CLICKS_SCHEMA, clicks_columns())?)?;
    write("corrupt_footer.parquet", &corrupt_footer(&users)?)?;
    write("not_parquet.parquet", NOT_PARQUET.as_bytes())?;
    // A Parquet file under a gzip name: the caller must go by the magic, not the extension.
    write("users_parquet_bytes.gz", &users)?;

    let clicks_csv = clicks_csv();
    write("clicks.csv", clicks_csv.as_bytes())?;
    write("clicks.csv.gz", &gzip(clicks_csv.as_bytes())?)?;
    write("semicolon.csv", SEMICOLON_CSV.as_bytes())?;
    write("events_tab.csv", EVENTS_TAB_CSV.as_bytes())?;
    write("no_header.csv", NO_HEADER_CSV.as_bytes())?;
    write("users_extra_column.csv", USERS_EXTRA_COLUMN_CSV.as_bytes())?;
    write("corrupt.csv.gz", &corrupt_gzip())?;
    write("big.csv", big_csv().as_bytes())?;

    fs::create_dir_all(out.join("inventory/data"))?;
    for report in inventory_reports(clicks_csv.len()) {
        let data = gzip(report.rows.as_bytes())?;
        let manifest = format!(
            r#"{{
  "sourceBucket" : "acme-logs",
  "destinationBucket" : "arn:aws:s3:::acme-inventory",
  "version" : "2016-11-30",
  "creationTimestamp" : "{created}",
  "fileFormat" : "CSV",
  "fileSchema" : "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag",
  "files" : [ {{
    "key" : "inv/acme-logs/daily/data/{name}",
    "size" : {size},
    "MD5checksum" : "{md5}"
  }} ]
}}
"#,
            created = report.created_ms,
            name = report.data_name,
            size = data.len(),
            md5 = hex::encode(md5::Md5::digest(&data)),
        );
        write(&format!("inventory/data/{}", report.data_name), &data)?;
        fs::create_dir_all(out.join("inventory").join(report.folder))?;
        write(
            &format!("inventory/{}/manifest.json", report.folder),
            manifest.as_bytes(),
        )?;
    }
    Ok(())
}

/// A CSV S3 Inventory report of bucket `acme-logs`, as AWS writes one: a dated folder
/// with its manifest, and a gzipped data file in `data/`.
struct InventoryReport {
    folder: &'static str,
    created_ms: i64,
    data_name: &'static str,
    rows: String,
}

/// Two daily reports. The older lists a table since deleted (`old`); the newer lists
/// `events` (30 days x 24 hours of `clicks.csv`), `sessions`, a key whose current
/// version is a delete marker, and a noncurrent version of an `events` file.
fn inventory_reports(clicks_size: usize) -> Vec<InventoryReport> {
    let row = |key: &str, version: &str, latest: bool, deleted: bool, size: usize| {
        let size = if deleted { String::new() } else { size.to_string() };
        // Keys are URL-encoded, `=` included, as AWS writes them.
        let key = key.replace('=', "%3D");
        format!(
            "\"acme-logs\",\"{key}\",\"{version}\",\"{latest}\",\"{deleted}\",\"{size}\",\"2026-11-18T12:00:00.000Z\",\"\"\n"
        )
    };
    let mut newer = String::new();
    for day in 1..=30 {
        for hour in 0..24 {
            let key = format!("data/events/date=2025-11-{day:02}/hour={hour:02}/part-0.csv");
            newer.push_str(&row(&key, "v1", true, false, clicks_size));
        }
    }
    newer.push_str(&row(
        "data/events/date=2025-11-01/hour=00/part-0.csv",
        "v0",
        false,
        false,
        99,
    ));
    newer.push_str(&row(
        "data/sessions/date=2025-11-01/part-0.csv",
        "v1",
        true,
        false,
        clicks_size,
    ));
    newer.push_str(&row(
        "data/sessions/date=2025-11-01/part-1.csv",
        "v1",
        true,
        false,
        clicks_size,
    ));
    newer.push_str(&row("data/scratch/tmp.csv", "v2", true, true, 0));
    vec![
        InventoryReport {
            folder: "2026-11-19T01-00Z",
            created_ms: 1_795_050_000_000,
            data_name: "report-2026-11-19.csv.gz",
            rows: row("data/old/part-0.csv", "v1", true, false, clicks_size),
        },
        InventoryReport {
            folder: "2026-11-20T01-00Z",
            created_ms: 1_795_136_400_000,
            data_name: "report-2026-11-20.csv.gz",
            rows: newer,
        },
    ]
}

fn users_columns() -> Vec<Values> {
    let n = NAMES.len();
    vec![
        Values::I64((1..=n as i64).map(Some).collect()),
        // One null name, to exercise definition levels.
        Values::Str(
            NAMES
                .iter()
                .enumerate()
                .map(|(i, s)| (i != 6).then(|| s.to_string()))
                .collect(),
        ),
        Values::Date((0..n as i32).map(|i| Some(EPOCH_2025_DAYS + i)).collect()),
        Values::F64((0..n).map(|i| (i % 4 != 3).then_some(i as f64 * 1.5 + 0.25)).collect()),
        Values::Bool((0..n).map(|i| Some(i % 3 != 0)).collect()),
        Values::I64(
            (0..n as i64)
                .map(|i| Some((EPOCH_2025_SECS + 9 * 3600 + i * 86_400 + i * 61) * 1_000_000))
                .collect(),
        ),
    ]
}

struct Click {
    id: i64,
    user_id: i64,
    url: String,
    ts_secs: i64,
}

fn clicks() -> Vec<Click> {
    (0..12)
        .map(|i| Click {
            id: 1000 + i,
            user_id: 1 + i % 5,
            url: format!("https://example.com/p/{}?ref=home", 10 + i * 7),
            ts_secs: EPOCH_2025_SECS + 10 * 3600 + i * 97,
        })
        .collect()
}

fn clicks_columns() -> Vec<Values> {
    let clicks = clicks();
    vec![
        Values::I64(clicks.iter().map(|c| Some(c.id)).collect()),
        Values::I64(clicks.iter().map(|c| Some(c.user_id)).collect()),
        Values::Str(clicks.iter().map(|c| Some(c.url.clone())).collect()),
        Values::I64(clicks.iter().map(|c| Some(c.ts_secs * 1_000_000)).collect()),
    ]
}

fn clicks_csv() -> String {
    let mut s = String::from("click_id,user_id,url,ts\n");
    for c in clicks() {
        s.push_str(&format!("{},{},{},{}\n", c.id, c.user_id, c.url, iso8601(c.ts_secs)));
    }
    s
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the epoch (days-from-civil inverse, H. Hinnant).
fn iso8601(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// One row group, uncompressed, with a fixed `created_by` so the bytes do not change with
/// the parquet crate's version.
fn write_parquet(message_type: &str, columns: Vec<Values>) -> Result<Vec<u8>> {
    let schema = Arc::new(parse_message_type(message_type)?);
    let descriptor = SchemaDescriptor::new(schema.clone());
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(ParquetCompression::UNCOMPRESSED)
            .set_created_by("s3-connector make_fixtures".to_string())
            .build(),
    );
    let mut writer = SerializedFileWriter::new(Vec::new(), schema, props)?;
    let mut row_group = writer.next_row_group()?;
    for (i, values) in columns.into_iter().enumerate() {
        let Some(mut column) = row_group.next_column()? else {
            return Err("more value lists than schema columns".into());
        };
        let optional = descriptor.column(i).max_def_level() > 0;
        match values {
            Values::I64(v) => write_column::<Int64Type, _>(column.typed(), &v, optional, |x| *x)?,
            Values::Date(v) => write_column::<Int32Type, _>(column.typed(), &v, optional, |x| *x)?,
            Values::F64(v) => write_column::<DoubleType, _>(column.typed(), &v, optional, |x| *x)?,
            Values::Bool(v) => write_column::<BoolType, _>(column.typed(), &v, optional, |x| *x)?,
            Values::Str(v) => {
                write_column::<ByteArrayType, _>(column.typed(), &v, optional, |x| ByteArray::from(x.as_str()))?
            }
        }
        column.close()?;
    }
    if row_group.next_column()?.is_some() {
        return Err("fewer value lists than schema columns".into());
    }
    row_group.close()?;
    Ok(writer.into_inner()?)
}

fn write_column<T, V>(
    writer: &mut parquet::column::writer::ColumnWriterImpl<'_, T>,
    values: &[Option<V>],
    optional: bool,
    convert: impl Fn(&V) -> T::T,
) -> Result<()>
where
    T: parquet::data_type::DataType,
{
    let present: Vec<T::T> = values.iter().flatten().map(convert).collect();
    if optional {
        let levels: Vec<i16> = values.iter().map(|v| i16::from(v.is_some())).collect();
        writer.write_batch(&present, Some(&levels), None)?;
    } else {
        if present.len() != values.len() {
            return Err("null in a REQUIRED column".into());
        }
        writer.write_batch(&present, None, None)?;
    }
    Ok(())
}

/// `users.parquet` with the start of its FileMetaData overwritten by 0xFF: the length and
/// both `PAR1` magics are intact, so only Thrift decoding fails (0xFF is not a valid compact
/// protocol field header: type nibble 15 is undefined).
fn corrupt_footer(valid: &[u8]) -> Result<Vec<u8>> {
    let mut bytes = valid.to_vec();
    let len = bytes.len();
    let tail: [u8; 4] = bytes[len - 8..len - 4].try_into()?;
    let metadata_len = u32::from_le_bytes(tail) as usize;
    let start = len - 8 - metadata_len;
    for b in &mut bytes[start..start + 16] {
        *b = 0xFF;
    }
    Ok(bytes)
}

/// A valid 10-byte gzip header (RFC 1952 section 2.3: ID1 ID2, CM=8 deflate, no flags,
/// MTIME 0, XFL 0, OS 255 unknown) followed by bytes that are not deflate data: the first
/// block header has BTYPE=11, which RFC 1951 section 3.2.3 reserves as an error.
fn corrupt_gzip() -> Vec<u8> {
    let mut bytes = vec![0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff];
    bytes.extend((0..54u8).map(|i| 0xFF ^ (i & 0x08)));
    bytes
}

fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    // GzBuilder writes MTIME 0 unless told otherwise, keeping the bytes reproducible.
    let mut encoder = GzBuilder::new().write(Vec::new(), Compression::best());
    encoder.write_all(data)?;
    Ok(encoder.finish()?)
}

/// ~200 KiB of events from a fixed-seed generator, so a 64 KiB prefix ends mid-row.
fn big_csv() -> String {
    let mut rng = SplitMix64(0x5EED_F1C7);
    let kinds = ["view", "click", "purchase", "signup", "logout"];
    let mut s = String::from("event_id,user_id,event_type,amount,occurred_at,is_test,note\n");
    let mut id: i64 = 0;
    while s.len() < BIG_CSV_MIN_LEN {
        id += 1;
        let r = rng.next();
        let user = 1 + r % 5000;
        let kind = kinds[(r >> 20) as usize % kinds.len()];
        // Every fifth amount is missing; the rest are decimals or whole numbers.
        let amount = match (r >> 28) % 5 {
            0 => String::new(),
            1 => format!("{}", (r >> 32) % 500),
            _ => format!("{}.{:02}", (r >> 32) % 500, (r >> 40) % 100),
        };
        let ts = EPOCH_2025_SECS + id * 37 + (r >> 48) as i64 % 30;
        let is_test = if (r >> 8).is_multiple_of(17) { "true" } else { "false" };
        let note = match (r >> 12) % 7 {
            0 => format!("\"batch {}, retry\"", r % 97),
            1 => String::new(),
            _ => format!("session-{:08x}", r >> 16 & 0xFFFF_FFFF),
        };
        s.push_str(&format!(
            "{id},{user},{kind},{amount},{},{is_test},{note}\n",
            iso8601(ts)
        ));
    }
    // The fixture's purpose: a sample of SAMPLE_LEN bytes must end inside a row.
    assert_ne!(
        s.as_bytes()[SAMPLE_LEN - 1],
        b'\n',
        "big.csv has a row boundary at 64 KiB"
    );
    s
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, seedable and stable across platforms.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}
