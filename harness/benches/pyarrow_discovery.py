"""Table discovery with pyarrow against an S3 endpoint, THREADS tables at a time.

Used by `cargo bench -p s3-harness --bench vs_pyarrow`; prints one JSON line:
{"seconds": ..., "tables": ..., "files": ...}.

    python3 pyarrow_discovery.py ENDPOINT BUCKET PREFIX ACCESS_KEY SECRET_KEY REGION [THREADS]
"""

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pyarrow.dataset as ds
import pyarrow.fs as pafs


def main() -> None:
    endpoint, bucket, prefix, access_key, secret_key, region = sys.argv[1:7]
    threads = int(sys.argv[7]) if len(sys.argv) > 7 else 16
    host = endpoint.removeprefix("http://")
    fs = pafs.S3FileSystem(
        endpoint_override=host,
        scheme="http",
        access_key=access_key,
        secret_key=secret_key,
        region=region,
    )
    t0 = time.perf_counter()
    root = fs.get_file_info(pafs.FileSelector(f"{bucket}/{prefix}", recursive=False))
    tables = [i.path for i in root if i.type == pafs.FileType.Directory]

    def discover(path: str) -> int:
        dataset = ds.dataset(path, format="csv", partitioning="hive", filesystem=fs)
        return len(dataset.files)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        files = sum(pool.map(discover, tables))
    print(json.dumps({"seconds": time.perf_counter() - t0, "tables": len(tables), "files": files}))


if __name__ == "__main__":
    main()
