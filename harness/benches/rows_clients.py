"""One table read whole by pyarrow or polars from an S3 endpoint.

Used by `cargo bench -p s3-harness --bench rows_vs_clients`; prints one JSON line:
{"rows": ..., "seconds": ..., "peak_rss": BYTES, "rss_before": BYTES}. `rss_before` is the
resident size once the library is imported, before any read; `peak_rss` the process's peak.

    python3 rows_clients.py pyarrow|polars csv|parquet ENDPOINT BUCKET PREFIX TABLE PARTITION \
        ACCESS_KEY SECRET_KEY REGION

PREFIX/TABLE/ holds PARTITION=VALUE/ folders of `*.csv.gz` or `*.parquet` files.
"""

import json
import resource
import sys
import time


def rss_now() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def with_pyarrow(fmt, endpoint, bucket, root, access_key, secret_key, region):
    import pyarrow.dataset as ds
    import pyarrow.fs as pafs

    before = rss_now()
    t0 = time.perf_counter()
    fs = pafs.S3FileSystem(
        endpoint_override=endpoint.removeprefix("http://"),
        scheme="http",
        access_key=access_key,
        secret_key=secret_key,
        region=region,
    )
    table = ds.dataset(f"{bucket}/{root}", filesystem=fs, format=fmt, partitioning="hive").to_table()
    return table.num_rows, time.perf_counter() - t0, before


def with_polars(fmt, endpoint, bucket, root, partition, access_key, secret_key, region):
    import polars as pl

    before = rss_now()
    t0 = time.perf_counter()
    options = {
        "aws_endpoint_url": endpoint,
        "aws_allow_http": "true",
        "aws_access_key_id": access_key,
        "aws_secret_access_key": secret_key,
        "aws_region": region,
    }
    if fmt == "parquet":
        lf = pl.scan_parquet(f"s3://{bucket}/{root}**/*.parquet", storage_options=options, hive_partitioning=True)
    else:
        # scan_csv has no hive partitioning: the partition value comes from the key, as a
        # reader of this table would add it.
        lf = pl.scan_csv(
            f"s3://{bucket}/{root}**/*.csv.gz", storage_options=options, try_parse_dates=True, include_file_paths="_key"
        ).with_columns(pl.col("_key").str.extract(f"/{partition}=([^/]*)/").alias(partition)).drop("_key")
    df = lf.collect()
    return df.height, time.perf_counter() - t0, before


def main() -> None:
    tool, fmt, endpoint, bucket, prefix, table, partition, access_key, secret_key, region = sys.argv[1:11]
    root = f"{prefix}{table}/"
    if tool == "pyarrow":
        rows, seconds, before = with_pyarrow(fmt, endpoint, bucket, root, access_key, secret_key, region)
    else:
        rows, seconds, before = with_polars(fmt, endpoint, bucket, root, partition, access_key, secret_key, region)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_rss": peak, "rss_before": before}))


if __name__ == "__main__":
    main()
