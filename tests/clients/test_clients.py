#!/usr/bin/env python3
"""Real-client compatibility checks: the aws CLI (v1) and boto3 against `s3-harness serve`.

Usage: python tests/clients/test_clients.py ENDPOINT

ENDPOINT is what `s3-harness serve tests/clients/world.toml` printed on its first line
(`endpoint: http://127.0.0.1:PORT`). The HTTPS checks take a second server of the same
world, `serve --tls`: its endpoint in CLIENTS_TLS_ENDPOINT and the CA file it printed
(`ca: PATH`) in CLIENTS_TLS_CA. tests/clients/run.sh does all of that; run it rather
than this file unless servers are already up.

Prints one line per check (`PASS name` / `FAIL name: why`) and closes with exactly
`N passed, M failed`; exits 1 when M > 0. Checks run in the order written: the read-only
ones first, since later checks upload objects (under `cli/` and `boto/`) that would
change the listings the first ones compare against the world file.
"""

import base64
import concurrent.futures
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import zlib

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

# --- the world (tests/clients/world.toml) ------------------------------------------------

BUCKET = "compat-bucket"
REGION = "eu-west-1"
OWNER = "111122223333"
ACCESS_KEY = os.environ.get("AWS_ACCESS_KEY_ID") or f"AKIAROOT{OWNER}"
SECRET_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY") or f"root-secret-{OWNER}"

README_BODY = b"client compatibility world\n"
SIZED_KEY = "big/huge.parquet"
SIZED_LEN = 5_000_000_000
WORLD_KEYS = sorted(
    [
        "readme.txt",
        "data/users/part-0.csv",
        "data/users/part-1.csv",
        "data/users/part-2.csv",
        "data/with space/file one.csv",
        "data/with space/nested dir/two.csv",
        "data/plus+sign/a+b=c.csv",
        "data/ünïcødé/日本語 ファイル.csv",
        "logs/2025-01-01.log.gz",
        SIZED_KEY,
    ]
)
WORLD_TOP_PREFIXES = ["big/", "data/", "logs/"]

# Keys that need escaping in a URL path, each put and got back by boto3.
ODD_PREFIX = "boto/odd/"
ODD_KEYS = {
    "space": ODD_PREFIX + "with space.txt",
    "plus": ODD_PREFIX + "plus+sign+.txt",
    "percent": ODD_PREFIX + "percent%20literal%.txt",
    "hash": ODD_PREFIX + "hash#fragment.txt",
    "question": ODD_PREFIX + "question?mark=1&x=2.txt",
    "unicode": ODD_PREFIX + "ünïcødé/日本語 😀.txt",
    "double slash": ODD_PREFIX + "double//slash//.txt",
}

MANY_PREFIX = "boto/many/"
MANY_COUNT = 2500

ENDPOINT = None  # set in main()

# --- a tiny runner -----------------------------------------------------------------------

CHECKS = []


def check(name):
    def register(fn):
        CHECKS.append((name, fn))
        return fn

    return register


class CheckFailed(Exception):
    pass


def expect(cond, message):
    if not cond:
        raise CheckFailed(message)


def expect_eq(got, want, what):
    if got != want:
        raise CheckFailed(f"{what}: expected {want!r}, got {got!r}")


# --- clients ------------------------------------------------------------------------------


def client(region=REGION, access_key=ACCESS_KEY, secret_key=SECRET_KEY, attempts=3, pool=10):
    return boto3.session.Session().client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": attempts, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
            max_pool_connections=pool,
        ),
    )


def aws(*args, timeout=90):
    """Runs `aws --endpoint-url E ARGS...`; returns stdout; raises with stderr on failure."""
    exe = shutil.which("aws")
    if exe is None:
        raise CheckFailed("`aws` is not on PATH")
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=env.get("AWS_CONFIG_FILE", os.devnull),
        AWS_SHARED_CREDENTIALS_FILE=env.get("AWS_SHARED_CREDENTIALS_FILE", os.devnull),
        AWS_PAGER="",
        PYTHONUTF8="1",
        PYTHONIOENCODING="utf-8",
    )
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    cmd = [exe, "--endpoint-url", ENDPOINT, *args]
    p = subprocess.run(cmd, env=env, capture_output=True, timeout=timeout)
    out = p.stdout.decode("utf-8", "replace")
    if p.returncode != 0:
        err = p.stderr.decode("utf-8", "replace").strip()
        raise CheckFailed(f"`aws {' '.join(args)}` exited {p.returncode}: {err[-800:]}")
    return out


def aws_json(*args):
    return json.loads(aws(*args, "--output", "json"))


def ls_lines(out):
    """Parses `aws s3 ls` output into (prefixes, {key: size})."""
    prefixes, objects = [], {}
    for line in out.splitlines():
        if not line.strip():
            continue
        stripped = line.strip()
        if stripped.startswith("PRE "):
            prefixes.append(stripped[4:])
            continue
        # "2025-01-01 00:00:00       1234 key with spaces"
        parts = line.split(None, 3)
        expect(len(parts) == 4, f"unparseable `s3 ls` line: {line!r}")
        objects[parts[3]] = int(parts[2])
    return prefixes, objects


def error_code(fn):
    """Calls fn; returns the S3 error code it raised, or None when it succeeded."""
    try:
        fn()
    except ClientError as e:
        return e.response.get("Error", {}).get("Code")
    return None


# --- aws CLI ------------------------------------------------------------------------------


def _pins():
    pins = {}
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "requirements.txt")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if "==" in line:
                name, version = line.split("==", 1)
                pins[name.strip().lower()] = version.strip()
    return pins


@check("the aws CLI and boto3 in use are the pinned versions")
def _():
    pins = _pins()
    out = aws("--version").strip()  # aws-cli/1.45.11 Python/3.11.7 Linux/... botocore/1.43.11
    fields = dict(f.split("/", 1) for f in out.split() if "/" in f)
    expect_eq(fields.get("aws-cli"), pins.get("awscli"), f"aws --version ({shutil.which('aws')})")
    expect_eq(fields.get("botocore"), pins.get("botocore"), "the aws CLI's botocore")
    expect_eq(boto3.__version__, pins.get("boto3"), "boto3")
    expect_eq(botocore.__version__, pins.get("botocore"), "botocore")
    return out


@check("aws s3 ls s3://BUCKET/ lists the top-level prefixes and objects")
def _():
    prefixes, objects = ls_lines(aws("s3", "ls", f"s3://{BUCKET}/"))
    expect_eq(sorted(prefixes), WORLD_TOP_PREFIXES, "PRE lines")
    expect_eq(objects, {"readme.txt": len(README_BODY)}, "top-level objects")


@check("aws s3 ls --recursive lists every key, odd ones included, with sizes")
def _():
    _, objects = ls_lines(aws("s3", "ls", f"s3://{BUCKET}/", "--recursive"))
    expect_eq(sorted(objects), WORLD_KEYS, "keys")
    expect_eq(objects[SIZED_KEY], SIZED_LEN, f"size of {SIZED_KEY}")


@check("aws s3api list-objects-v2 --delimiter / returns the CommonPrefixes")
def _():
    # --no-paginate: the CLI's auto-pagination merges pages and drops KeyCount.
    r = aws_json("s3api", "list-objects-v2", "--bucket", BUCKET, "--delimiter", "/", "--no-paginate")
    got = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
    expect_eq(got, WORLD_TOP_PREFIXES, "CommonPrefixes")
    expect_eq([o["Key"] for o in r.get("Contents", [])], ["readme.txt"], "Contents")
    expect_eq(r.get("KeyCount"), 4, "KeyCount")


@check("aws s3api list-objects-v2 --prefix 'data/with space/' --delimiter /")
def _():
    r = aws_json(
        "s3api", "list-objects-v2", "--bucket", BUCKET,
        "--prefix", "data/with space/", "--delimiter", "/",
    )
    expect_eq([o["Key"] for o in r.get("Contents", [])], ["data/with space/file one.csv"], "Contents")
    expect_eq(
        [p["Prefix"] for p in r.get("CommonPrefixes", [])],
        ["data/with space/nested dir/"],
        "CommonPrefixes",
    )
    expect_eq(r.get("Prefix"), "data/with space/", "Prefix echoed")


@check("aws s3api list-objects-v2 --prefix 'data/' --delimiter / (unicode and + prefixes)")
def _():
    r = aws_json("s3api", "list-objects-v2", "--bucket", BUCKET, "--prefix", "data/", "--delimiter", "/")
    expect_eq(
        [p["Prefix"] for p in r.get("CommonPrefixes", [])],
        ["data/plus+sign/", "data/users/", "data/with space/", "data/ünïcødé/"],
        "CommonPrefixes",
    )


@check("aws s3api head-object on the sized object shows its ContentLength")
def _():
    r = aws_json("s3api", "head-object", "--bucket", BUCKET, "--key", SIZED_KEY)
    expect_eq(r.get("ContentLength"), SIZED_LEN, "ContentLength")


@check("aws s3api get-bucket-location returns the bucket's region")
def _():
    r = aws_json("s3api", "get-bucket-location", "--bucket", BUCKET)
    expect_eq(r.get("LocationConstraint"), REGION, "LocationConstraint")


_CP = {}


@check("aws s3 cp of a 20 MiB random file up (multipart: ETag has -3 parts)")
def _():
    tmp = tempfile.mkdtemp(prefix="s3-clients-")
    _CP["tmp"] = tmp
    src = os.path.join(tmp, "up.bin")
    data = os.urandom(20 * 1024 * 1024)
    with open(src, "wb") as f:
        f.write(data)
    _CP["sha"] = hashlib.sha256(data).hexdigest()
    key = "cli/random 20MiB.bin"
    _CP["key"] = key
    aws("s3", "cp", src, f"s3://{BUCKET}/{key}", "--only-show-errors")
    r = aws_json("s3api", "head-object", "--bucket", BUCKET, "--key", key)
    expect_eq(r.get("ContentLength"), len(data), "ContentLength after upload")
    # The CLI's default multipart threshold and chunk size are 8 MiB: 20 MiB = 3 parts.
    expect(str(r.get("ETag", "")).strip('"').endswith("-3"), f"ETag {r.get('ETag')!r} is not a 3-part multipart ETag")


@check("aws s3 cp of the 20 MiB object back down is byte-identical")
def _():
    expect("key" in _CP, "the upload check did not run")
    dst = os.path.join(_CP["tmp"], "down.bin")
    try:
        aws("s3", "cp", f"s3://{BUCKET}/{_CP['key']}", dst, "--only-show-errors")
        with open(dst, "rb") as f:
            got = hashlib.sha256(f.read()).hexdigest()
        expect_eq(got, _CP["sha"], "sha256 of the downloaded file")
    finally:
        shutil.rmtree(_CP["tmp"], ignore_errors=True)


# --- boto3 --------------------------------------------------------------------------------

for _label, _key in ODD_KEYS.items():

    def _round_trip(key=_key):
        c = client()
        body = ("body of " + key).encode("utf-8")
        c.put_object(Bucket=BUCKET, Key=key, Body=body)
        r = c.get_object(Bucket=BUCKET, Key=key)
        expect_eq(r["Body"].read(), body, f"body of {key!r}")
        h = c.head_object(Bucket=BUCKET, Key=key)
        expect_eq(h["ContentLength"], len(body), f"ContentLength of {key!r}")

    check(f"boto3 put_object/get_object round trip, key with {_label}: {_key!r}")(_round_trip)


@check("boto3 list_objects_v2 under boto/odd/ returns exactly the odd keys")
def _():
    r = client().list_objects_v2(Bucket=BUCKET, Prefix=ODD_PREFIX)
    expect_eq(sorted(o["Key"] for o in r.get("Contents", [])), sorted(ODD_KEYS.values()), "keys")


def _listing_with_raw(c, **params):
    """list_objects_v2 over ODD_PREFIX and data/: (keys, raw XML bodies)."""
    raw = []
    c.meta.events.register(
        "before-parse.s3.ListObjectsV2", lambda response_dict=None, **_: raw.append(response_dict["body"])
    )
    keys, echoed = [], []
    for prefix in (ODD_PREFIX, "data/"):
        r = c.list_objects_v2(Bucket=BUCKET, Prefix=prefix, **params)
        echoed.append(r.get("EncodingType"))
        keys += [o["Key"] for o in r.get("Contents", [])]
    return keys, echoed, b"".join(raw)


def _odd_and_data_keys():
    return sorted(ODD_KEYS.values()) + [k for k in WORLD_KEYS if k.startswith("data/")]


@check("boto3 list_objects_v2 EncodingType='url' given: keys come url-encoded, unquote_plus gives the originals")
def _():
    # When the caller passes EncodingType itself, botocore hands the keys back as sent
    # (it decodes only the encoding it added on its own, see the next check). S3's
    # encoding is form-style: space -> '+', '+' -> '%2B', '/' kept.
    from urllib.parse import unquote_plus

    keys, echoed, raw = _listing_with_raw(client(), EncodingType="url")
    expect_eq(echoed, ["url", "url"], "EncodingType echoed")
    expect("ünïcødé".encode("utf-8") not in raw, "raw XML carries unencoded unicode keys")
    expect("boto/odd/with+space.txt" in keys, f"space not encoded as '+': {keys[:8]}")
    expect("boto/odd/plus%2Bsign%2B.txt" in keys, f"'+' not encoded as %2B: {keys[:8]}")
    expect_eq([unquote_plus(k) for k in keys], _odd_and_data_keys(), "decoded keys")


@check("boto3 list_objects_v2 default (botocore adds encoding-type=url and decodes): keys equal the originals")
def _():
    keys, echoed, raw = _listing_with_raw(client())
    expect_eq(echoed, ["url", "url"], "EncodingType in the response (botocore sets it on the request)")
    expect("ünïcødé".encode("utf-8") not in raw, "raw XML carries unencoded unicode keys")
    expect_eq(keys, _odd_and_data_keys(), "decoded keys")


@check(f"boto3 list_objects_v2 paginator over {MANY_COUNT} keys: every key once, pages 1000/1000/500")
def _():
    c = client(pool=32)
    keys = [f"{MANY_PREFIX}{i:05d}.txt" for i in range(MANY_COUNT)]
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as ex:
        list(ex.map(lambda k: c.put_object(Bucket=BUCKET, Key=k, Body=k.encode()), keys))
    put_s = time.monotonic() - t0
    pages = list(c.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=MANY_PREFIX))
    counts = [p.get("KeyCount") for p in pages]
    listed = [o["Key"] for p in pages for o in p.get("Contents", [])]
    expect_eq(counts, [1000, 1000, 500], "page KeyCounts")
    expect_eq(len(listed), len(set(listed)), "no key listed twice")
    expect_eq(listed, keys, "keys in order")
    expect_eq([p.get("IsTruncated") for p in pages], [True, True, False], "IsTruncated per page")
    return f"{MANY_COUNT} puts in {put_s:.1f}s"


@check("boto3 ranged get_object Range='bytes=2-5' returns 206 and the bytes")
def _():
    r = client().get_object(Bucket=BUCKET, Key="readme.txt", Range="bytes=2-5")
    expect_eq(r["ResponseMetadata"]["HTTPStatusCode"], 206, "status")
    expect_eq(r["Body"].read(), README_BODY[2:6], "body")
    expect_eq(r.get("ContentRange"), f"bytes 2-5/{len(README_BODY)}", "ContentRange")
    expect_eq(r.get("ContentLength"), 4, "ContentLength")


# --- integrity: additional checksums (checking-object-integrity.html) and partNumber reads

INTEGRITY_PREFIX = "boto/integrity/"


def _crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _expect_bad_digest(key, algorithm, **checksum):
    c = client(attempts=1)
    try:
        c.put_object(Bucket=BUCKET, Key=key, Body=b"the body", **checksum)
    except ClientError as e:
        expect_eq(e.response["ResponseMetadata"]["HTTPStatusCode"], 400, "status")
        expect_eq(e.response["Error"]["Code"], "BadDigest", "error code")
        expect_eq(
            e.response["Error"]["Message"],
            f"The {algorithm} you specified did not match the calculated checksum.",
            "message",
        )
    else:
        raise CheckFailed("the put succeeded")
    expect_eq(error_code(lambda: c.head_object(Bucket=BUCKET, Key=key)), "404", "head after the refused put")


@check("boto3 put_object with a wrong ChecksumCRC32 is refused: 400 BadDigest, nothing stored")
def _():
    _expect_bad_digest(INTEGRITY_PREFIX + "bad-crc32", "CRC32", ChecksumCRC32=_crc32_b64(b"another body"))


@check("boto3 put_object with a wrong ChecksumSHA256 is refused: 400 BadDigest, nothing stored")
def _():
    wrong = base64.b64encode(hashlib.sha256(b"another body").digest()).decode()
    _expect_bad_digest(INTEGRITY_PREFIX + "bad-sha256", "SHA256", ChecksumSHA256=wrong)


@check("boto3 put_object with the default checksum round-trips; head_object(ChecksumMode='ENABLED') returns its CRC32")
def _():
    c = client()
    key, body = INTEGRITY_PREFIX + "default.txt", b"checked both ways\n" * 100
    put = c.put_object(Bucket=BUCKET, Key=key, Body=body)
    expect_eq(put.get("ChecksumCRC32"), _crc32_b64(body), "PutObject's ChecksumCRC32 (botocore sends CRC32)")
    head = c.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    expect_eq(head.get("ChecksumCRC32"), _crc32_b64(body), "head ChecksumCRC32")
    expect_eq(head.get("ChecksumType"), "FULL_OBJECT", "head ChecksumType")
    expect("ChecksumCRC32" not in c.head_object(Bucket=BUCKET, Key=key), "a checksum without ChecksumMode")
    # botocore validates the response checksum of a GET by default.
    got = c.get_object(Bucket=BUCKET, Key=key)
    expect_eq(got["Body"].read(), body, "body")


MPU_PARTS = [os.urandom(5 * 1024 * 1024), b"the second and last part"]


def _multipart(key, **create):
    c = client()
    up = c.create_multipart_upload(Bucket=BUCKET, Key=key, **create)
    parts = []
    for n, data in enumerate(MPU_PARTS, start=1):
        extra = {"ChecksumAlgorithm": create["ChecksumAlgorithm"]} if "ChecksumAlgorithm" in create else {}
        r = c.upload_part(Bucket=BUCKET, Key=key, UploadId=up["UploadId"], PartNumber=n, Body=data, **extra)
        part = {"PartNumber": n, "ETag": r["ETag"]}
        if "ChecksumCRC32" in r and create:
            part["ChecksumCRC32"] = r["ChecksumCRC32"]
        parts.append(part)
    return c, c.complete_multipart_upload(
        Bucket=BUCKET, Key=key, UploadId=up["UploadId"], MultipartUpload={"Parts": parts}
    )


@check("boto3 get_object(PartNumber=2) of a multipart object: 206, PartsCount 2, the part's bytes; PartNumber=3: InvalidPartNumber")
def _():
    key = INTEGRITY_PREFIX + "multipart.bin"
    c, _ = _multipart(key)
    r = c.get_object(Bucket=BUCKET, Key=key, PartNumber=2)
    expect_eq(r["ResponseMetadata"]["HTTPStatusCode"], 206, "status")
    expect_eq(r.get("PartsCount"), 2, "PartsCount")
    expect_eq(r["Body"].read(), MPU_PARTS[1], "body")
    total = sum(len(p) for p in MPU_PARTS)
    expect_eq(r.get("ContentRange"), f"bytes {len(MPU_PARTS[0])}-{total - 1}/{total}", "ContentRange")
    expect_eq(error_code(lambda: c.get_object(Bucket=BUCKET, Key=key, PartNumber=3)), "InvalidPartNumber", "past the end")


@check("boto3 multipart upload with ChecksumAlgorithm='CRC32': composite 'X-2' checksum; a part read returns and validates the part's")
def _():
    key = INTEGRITY_PREFIX + "composite.bin"
    c, done = _multipart(key, ChecksumAlgorithm="CRC32")
    expect_eq(done.get("ChecksumType"), "COMPOSITE", "ChecksumType")
    expect(str(done.get("ChecksumCRC32", "")).endswith("-2"), f"ChecksumCRC32 {done.get('ChecksumCRC32')!r}")
    head = c.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    expect_eq(head.get("ChecksumCRC32"), done.get("ChecksumCRC32"), "head ChecksumCRC32")
    part = c.get_object(Bucket=BUCKET, Key=key, PartNumber=2, ChecksumMode="ENABLED")
    expect_eq(part.get("ChecksumCRC32"), _crc32_b64(MPU_PARTS[1]), "the part's ChecksumCRC32")
    expect_eq(part["Body"].read(), MPU_PARTS[1], "body")


@check("boto3 head_bucket succeeds and reports the region")
def _():
    r = client().head_bucket(Bucket=BUCKET)
    expect_eq(r["ResponseMetadata"]["HTTPStatusCode"], 200, "status")
    expect_eq(r["ResponseMetadata"]["HTTPHeaders"].get("x-amz-bucket-region"), REGION, "x-amz-bucket-region")


@check("boto3 client with a wrong secret gets SignatureDoesNotMatch")
def _():
    c = client(secret_key="not-the-secret", attempts=1)
    expect_eq(error_code(lambda: c.list_objects_v2(Bucket=BUCKET)), "SignatureDoesNotMatch", "error code")


@check("boto3 client with an unknown access key gets InvalidAccessKeyId")
def _():
    c = client(access_key="AKIANOBODY0000000000", attempts=1)
    expect_eq(error_code(lambda: c.get_object(Bucket=BUCKET, Key="readme.txt")), "InvalidAccessKeyId", "error code")


@check("boto3 signing for us-east-1 against the eu-west-1 bucket is redirected by botocore and succeeds")
def _():
    # S3 answers 400 AuthorizationHeaderMalformed with <Region>eu-west-1</Region> in the
    # body and x-amz-bucket-region; botocore's S3RegionRedirectorv2 reads the region,
    # re-signs for it and retries once, so the call succeeds.
    c = client(region="us-east-1", attempts=1)
    r = c.get_object(Bucket=BUCKET, Key="readme.txt")
    expect_eq(r["Body"].read(), README_BODY, "body")


@check("boto3 head_object signed for us-east-1 is redirected by botocore and succeeds")
def _():
    # A HEAD cannot carry an error body: S3 answers 400 with x-amz-bucket-region, and
    # botocore's redirector re-signs for that region and retries once.
    c = client(region="us-east-1", attempts=1)
    r = c.head_object(Bucket=BUCKET, Key="readme.txt")
    expect_eq(r["ContentLength"], len(README_BODY), "ContentLength")


def _fetch(url):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=30) as resp:
        return resp.status, resp.read()


def _presign_client(version):
    c = client()
    if version is None:
        return c
    return boto3.session.Session().client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}, signature_version=version),
    )


def _presigned_get(key, version=None):
    url = _presign_client(version).generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=300
    )
    return url, _fetch(url)


SIGV2_REFUSED = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."


@check("boto3 generate_presigned_url(get_object) (botocore default: SigV2 query) is refused: 400 InvalidRequest, use AWS4-HMAC-SHA256")
def _():
    # With endpoint_url and no signature_version, botocore presigns S3 URLs the legacy
    # way (AWSAccessKeyId/Signature/Expires). S3 refuses SigV2 for buckets created after
    # June 24, 2020 (UsingAWSSDK.html#UsingAWSSDK-sig2-deprecation), as the simulator
    # does for every bucket.
    url = _presign_client(None).generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "readme.txt"}, ExpiresIn=300
    )
    expect("Signature=" in url and "AWSAccessKeyId=" in url, f"botocore did not presign with SigV2: {url}")
    _expect_refused(url, 400, "InvalidRequest", "SigV2", message=SIGV2_REFUSED)


@check("boto3 generate_presigned_url(get_object) with signature_version='s3v4' returns the body")
def _():
    url, (status, body) = _presigned_get("readme.txt", "s3v4")
    expect("X-Amz-Signature=" in url and "X-Amz-Credential=" in url, f"not a SigV4 presigned URL: {url}")
    expect_eq(status, 200, "status")
    expect_eq(body, README_BODY, "body")


@check("boto3 presigned URL (SigV4) for a unicode key with spaces returns the body")
def _():
    key = ODD_KEYS["unicode"]
    _, (status, body) = _presigned_get(key, "s3v4")
    expect_eq(status, 200, "status")
    expect_eq(body, ("body of " + key).encode("utf-8"), "body")


def _expect_refused(url, status, code, what, message=None):
    try:
        got_status, body = _fetch(url)
    except urllib.error.HTTPError as e:
        expect_eq(e.code, status, f"{what}: status")
        text = e.read().decode("utf-8", "replace")
        expect(f"<Code>{code}</Code>" in text, f"{what}: expected {code}, error body: {text[:300]}")
        expect(message is None or message in text, f"{what}: expected {message!r}, error body: {text[:300]}")
        return
    raise CheckFailed(f"{what}: fetched with status {got_status}: {body[:80]!r}")


@check("presigned URLs (SigV4) with a tampered signature are refused: 403 SignatureDoesNotMatch")
def _():
    url = _presign_client("s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "readme.txt"}, ExpiresIn=300
    )
    i = url.index("X-Amz-Signature=") + len("X-Amz-Signature=")
    # Swap one hex character for another, so the URL still parses and only the
    # signature is wrong.
    bad = url[:i] + ("0" if url[i] != "0" else "1") + url[i + 1 :]
    _expect_refused(bad, 403, "SignatureDoesNotMatch", "SigV4")


@check("expired presigned URLs (SigV4) are refused: 403 AccessDenied")
def _():
    url = _presign_client("s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "readme.txt"}, ExpiresIn=1
    )
    time.sleep(2.5)
    _expect_refused(url, 403, "AccessDenied", "SigV4")


# --- HTTPS: the same world from `serve --tls` ----------------------------------------------
# run.sh passes the second server's endpoint and the CA file it printed (`ca: PATH`).

TLS_ENDPOINT = os.environ.get("CLIENTS_TLS_ENDPOINT", "").rstrip("/")
TLS_CA = os.environ.get("CLIENTS_TLS_CA", "")


def tls_client(verify=None, endpoint=None, addressing_style="path"):
    expect(TLS_ENDPOINT and TLS_CA, "CLIENTS_TLS_ENDPOINT and CLIENTS_TLS_CA are not set (run.sh sets them)")
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint or TLS_ENDPOINT,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        verify=TLS_CA if verify is None else verify,
        config=Config(
            s3={"addressing_style": addressing_style},
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        ),
    )


@check("boto3 over https with verify=<the printed CA> lists, gets and puts")
def _():
    s3 = tls_client()
    expect(TLS_ENDPOINT.startswith("https://127.0.0.1:"), f"TLS endpoint {TLS_ENDPOINT!r}")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    expect(set(WORLD_KEYS) <= set(keys), f"listing over https misses {sorted(set(WORLD_KEYS) - set(keys))}")
    expect_eq(s3.get_object(Bucket=BUCKET, Key="readme.txt")["Body"].read(), README_BODY, "readme over https")
    s3.put_object(Bucket=BUCKET, Key="tls/boto.txt", Body=b"over tls\n")
    expect_eq(s3.get_object(Bucket=BUCKET, Key="tls/boto.txt")["Body"].read(), b"over tls\n", "put then get")


@check("aws CLI over https with AWS_CA_BUNDLE=<the printed CA>: s3 ls and s3 cp")
def _():
    expect(TLS_ENDPOINT and TLS_CA, "CLIENTS_TLS_ENDPOINT and CLIENTS_TLS_CA are not set (run.sh sets them)")
    exe = shutil.which("aws")
    expect(exe is not None, "`aws` is not on PATH")
    env = dict(os.environ, AWS_CA_BUNDLE=TLS_CA, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_DEFAULT_REGION=REGION, AWS_PAGER="", PYTHONUTF8="1", PYTHONIOENCODING="utf-8")
    base = [exe, "--endpoint-url", TLS_ENDPOINT]
    p = subprocess.run([*base, "s3", "ls", f"s3://{BUCKET}/"], env=env, capture_output=True, timeout=90)
    expect(p.returncode == 0, f"aws s3 ls exited {p.returncode}: {p.stderr.decode()[-800:]}")
    prefixes, objects = ls_lines(p.stdout.decode("utf-8", "replace"))
    # The boto3 check before this one wrote under tls/.
    expect_eq([p for p in prefixes if p != "tls/"], WORLD_TOP_PREFIXES, "top-level prefixes over https")
    expect("readme.txt" in objects, f"readme.txt missing from {objects}")
    p = subprocess.run([*base, "s3", "cp", f"s3://{BUCKET}/readme.txt", "-"], env=env, capture_output=True, timeout=90)
    expect(p.returncode == 0, f"aws s3 cp exited {p.returncode}: {p.stderr.decode()[-800:]}")
    expect_eq(p.stdout, README_BODY, "aws s3 cp over https")


@check("boto3 over https trusting only the system's roots fails certificate verification")
def _():
    # verify=True: botocore's default bundle, ignoring AWS_CA_BUNDLE, as a client
    # that was never given the simulator's CA.
    s3 = tls_client(verify=True)
    try:
        s3.list_objects_v2(Bucket=BUCKET)
    except botocore.exceptions.SSLError as e:
        expect("CERTIFICATE_VERIFY_FAILED" in str(e), f"unexpected SSL error: {e}")
        return
    raise CheckFailed("the request succeeded without trusting the simulator's CA")


class _LocalhostResolver:
    """glibc's resolver does not map `*.localhost` to loopback (RFC 6761 lets it; systemd-
    resolved does, plain glibc does not), so virtual-hosted-style names such as
    `compat-bucket.localhost` would not resolve: while active, this wraps
    socket.getaddrinfo to resolve every `*.localhost` name as `localhost`."""

    def __enter__(self):
        import socket

        self._socket = socket
        self._real = socket.getaddrinfo

        def getaddrinfo(host, *args, **kwargs):
            if isinstance(host, str) and host.endswith(".localhost"):
                host = "127.0.0.1"
            return self._real(host, *args, **kwargs)

        socket.getaddrinfo = getaddrinfo
        return self

    def __exit__(self, *exc):
        self._socket.getaddrinfo = self._real


@check("boto3 virtual-hosted-style over https (Host: compat-bucket.localhost:PORT) lists, gets and puts")
def _():
    port = TLS_ENDPOINT.rsplit(":", 1)[-1]
    s3 = tls_client(endpoint=f"https://localhost:{port}", addressing_style="virtual")
    sent = []
    s3.meta.events.register("before-send.s3", lambda request, **_: sent.append(request.url))
    with _LocalhostResolver():
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="data/users/")
        keys = [o["Key"] for o in listed.get("Contents", [])]
        expect_eq(keys, ["data/users/part-0.csv", "data/users/part-1.csv", "data/users/part-2.csv"], "vhost listing")
        expect_eq(s3.get_object(Bucket=BUCKET, Key="readme.txt")["Body"].read(), README_BODY, "vhost get")
        s3.put_object(Bucket=BUCKET, Key="tls/vhost.txt", Body=b"vhost\n")
        expect_eq(s3.get_object(Bucket=BUCKET, Key="tls/vhost.txt")["Body"].read(), b"vhost\n", "vhost put then get")
    prefix = f"https://{BUCKET}.localhost:{port}/"
    expect(sent and all(u.startswith(prefix) for u in sent), f"not virtual-hosted-style: {sent}")


@check("an S3 error carries a RequestId (and HostId) that botocore surfaces, over http and https")
def _():
    ids = set()
    for s3 in (client(attempts=1), tls_client()):
        try:
            s3.get_object(Bucket=BUCKET, Key="no/such/key.txt")
        except ClientError as e:
            meta = e.response["ResponseMetadata"]
            rid = meta.get("RequestId", "")
            expect(len(rid) == 16 and all(c in "0123456789ABCDEF" for c in rid), f"RequestId {rid!r}")
            expect_eq(meta["HTTPHeaders"].get("x-amz-request-id"), rid, "x-amz-request-id header")
            expect(meta.get("HostId"), f"no HostId in {meta}")
            expect_eq(e.response["Error"]["Code"], "NoSuchKey", "error code")
            ids.add(rid)
        else:
            raise CheckFailed("get_object of a missing key succeeded")
    expect_eq(len(ids), 2, "distinct request ids")


# --- tables read by pyarrow and polars ------------------------------------------------------
# run.sh serves tests/clients/tables_csv.toml and tables_parquet.toml (one server each; both
# hold bucket compat-tables) and imports every table with `s3-harness import` first:
# CLIENTS_TABLES is `FORMAT=ENDPOINT,...`, CLIENTS_IMPORTS the folder with FORMAT-TABLE.parquet.
# Each check reads a table with a real client and compares its rows with the import's.

TABLES_BUCKET = "compat-tables"
TABLES = [("csv", "clicks", "day"), ("csv", "orders", "region"), ("parquet", "clicks", "day"), ("parquet", "users", "cohort")]


def _table_endpoints():
    pairs = [p.split("=", 1) for p in os.environ.get("CLIENTS_TABLES", "").split(",") if "=" in p]
    return dict(pairs)


def _cell(v):
    """One value in a form both sides agree on. Partition columns are typed by each reader
    on its own (pyarrow's hive partitioning: int32 or string; polars: from the path text;
    the import: as discovery typed them, e.g. date), so every cell is compared as text:
    dates and timestamps as ISO 8601 (timestamps in UTC, without the zone, since the import
    stores a CSV timestamp's instant in UTC and pyarrow keeps the zone), floats by repr."""
    import datetime

    if v is None:
        return None
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return v.isoformat()
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _rows(columns, names):
    """Rows as sorted tuples of `_cell`s, columns in `names` order."""
    rows = zip(*[columns[n] for n in names])
    return sorted((tuple(_cell(c) for c in r) for r in rows), key=lambda r: [(x is None, x or "") for x in r])


def _imported(fmt, table):
    import pyarrow.parquet as pq

    t = pq.read_table(os.path.join(os.environ["CLIENTS_IMPORTS"], f"{fmt}-{table}.parquet"))
    return t.column_names, {n: t.column(n).to_pylist() for n in t.column_names}


def _compare(fmt, table, got_columns, client_name):
    names, want = _imported(fmt, table)
    expect(len(want[names[0]]) > 0, f"the import of {fmt} {table} has no rows")
    missing = [n for n in names if n not in got_columns]
    expect(not missing, f"{client_name} lacks columns {missing} (has {sorted(got_columns)})")
    got_rows, want_rows = _rows(got_columns, names), _rows(want, names)
    expect_eq(len(got_rows), len(want_rows), f"{client_name} rows of {fmt} {table}")
    for g, w in zip(got_rows, want_rows):
        expect_eq(g, w, f"{client_name} row of {fmt} {table}")
    return f"{len(got_rows)} rows"


def _pyarrow_read(fmt, table):
    import pyarrow.csv as pacsv
    import pyarrow.dataset as ds
    import pyarrow.fs as pafs

    endpoint = _table_endpoints()[fmt]
    fs = pafs.S3FileSystem(
        endpoint_override=endpoint.split("://", 1)[1],
        scheme="http",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=REGION,
    )
    if fmt == "csv":
        # An empty field is a null in every column, as the import reads it (pyarrow keeps
        # "" for strings unless told).
        file_format = ds.CsvFileFormat(convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    else:
        file_format = "parquet"
    t = ds.dataset(f"{TABLES_BUCKET}/{fmt}/{table}/", filesystem=fs, format=file_format, partitioning="hive").to_table()
    return {n: t.column(n).to_pylist() for n in t.column_names}


def _polars_read(fmt, table, partition):
    import polars as pl

    endpoint = _table_endpoints()[fmt]
    options = {
        "aws_endpoint_url": endpoint,
        "aws_allow_http": "true",
        "aws_access_key_id": ACCESS_KEY,
        "aws_secret_access_key": SECRET_KEY,
        "aws_region": REGION,
    }
    if fmt == "parquet":
        lf = pl.scan_parquet(
            f"s3://{TABLES_BUCKET}/parquet/{table}/**/*.parquet", storage_options=options, hive_partitioning=True
        )
    else:
        # scan_csv has no hive partitioning: the partition value is taken from the key.
        glob = f"s3://{TABLES_BUCKET}/csv/{table}/**/*.csv*"
        lf = pl.scan_csv(glob, storage_options=options, try_parse_dates=True, include_file_paths="_key").with_columns(
            pl.col("_key").str.extract(f"/{partition}=([^/]*)/").alias(partition)
        ).drop("_key")
    df = lf.collect()
    return {n: df.get_column(n).to_list() for n in df.columns}


def _table_check(client_name, fmt, table, partition):
    def run():
        if fmt not in _table_endpoints():
            raise CheckFailed("CLIENTS_TABLES names no server for " + fmt + " (run tests/clients/run.sh)")
        if client_name == "pyarrow":
            got = _pyarrow_read(fmt, table)
        else:
            got = _polars_read(fmt, table, partition)
        return _compare(fmt, table, got, client_name)

    check(f"{client_name} reads {fmt} table {table} as import does")(run)


for _client in ("pyarrow", "polars"):
    for _fmt, _table, _partition in TABLES:
        _table_check(_client, _fmt, _table, _partition)


# --- main ---------------------------------------------------------------------------------


# --- capture --from-listing over what the aws CLI really prints ---------------------------
# The customer pastes `aws s3 ls --recursive` or `aws s3api list-objects-v2` output; the
# captured scenario, served again, must list exactly the keys and sizes of the original
# under the prefix. CLIENTS_HARNESS_BIN is the s3-harness binary run.sh started.

CAPTURE_PREFIX = "data/"


def _harness():
    exe = os.environ.get("CLIENTS_HARNESS_BIN")
    if not exe:
        raise CheckFailed("CLIENTS_HARNESS_BIN is not set (run tests/clients/run.sh)")
    return exe


def _listed(endpoint, prefix):
    c = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}),
    )
    got = {}
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for o in page.get("Contents", []):
            got[o["Key"]] = o["Size"]
    return got


def _served_scenario(scenario):
    """Serves `scenario` on a free port; returns (process, endpoint)."""
    proc = subprocess.Popen(
        [_harness(), "serve", scenario, "--addr", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, NO_COLOR="1"),
    )
    line = proc.stdout.readline().decode("utf-8", "replace").strip()
    if not line.startswith("endpoint: "):
        proc.kill()
        raise CheckFailed(f"serve {scenario} printed {line!r}: {proc.stderr.read().decode()[-800:]}")
    return proc, line[len("endpoint: "):]


def _capture_pasted(text, name, extra=()):
    work = tempfile.mkdtemp(prefix="clients-capture.")
    try:
        pasted = os.path.join(work, name)
        with open(pasted, "w", encoding="utf-8") as f:
            f.write(text)
        out = os.path.join(work, "captured")
        p = subprocess.run(
            [_harness(), "capture", "--from-listing", pasted, "--bucket", BUCKET, "--prefix", CAPTURE_PREFIX,
             "--region", REGION, "--out", out, "--no-expect", *extra],
            capture_output=True,
            timeout=120,
        )
        if p.returncode != 0:
            raise CheckFailed(f"capture exited {p.returncode}: {p.stderr.decode('utf-8', 'replace')[-800:]}")
        proc, endpoint = _served_scenario(os.path.join(out, "scenario.toml"))
        try:
            got = _listed(endpoint, "")
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        want = _listed(ENDPOINT, CAPTURE_PREFIX)
        expect_eq(got, want, "keys and sizes served from the capture")
        return f"{len(got)} keys"
    finally:
        shutil.rmtree(work, ignore_errors=True)


@check("capture --from-listing: `aws s3 ls --recursive --summarize` output serves the same keys and sizes")
def _():
    return _capture_pasted(aws("s3", "ls", f"s3://{BUCKET}/{CAPTURE_PREFIX}", "--recursive", "--summarize"), "ls.txt")


@check("capture --from-listing: `aws s3api list-objects-v2` JSON serves the same keys and sizes")
def _():
    return _capture_pasted(aws("s3api", "list-objects-v2", "--bucket", BUCKET, "--prefix", CAPTURE_PREFIX,
                               "--output", "json"), "listing.json")


@check("capture --from-listing: list-objects-v2 pages of --max-items 2, pasted back to back")
def _():
    pages, token = [], None
    while True:
        args = ["s3api", "list-objects-v2", "--bucket", BUCKET, "--prefix", CAPTURE_PREFIX, "--max-items", "2",
                "--output", "json"]
        if token:
            args += ["--starting-token", token]
        out = aws(*args)
        pages.append(out)
        token = json.loads(out).get("NextToken")
        if not token:
            break
    expect(len(pages) > 1, "more than one page")
    return _capture_pasted("".join(pages), "pages.json")


@check("capture --from-listing refuses `aws s3 ls` output without --recursive, saying so")
def _():
    text = aws("s3", "ls", f"s3://{BUCKET}/{CAPTURE_PREFIX}")
    work = tempfile.mkdtemp(prefix="clients-capture.")
    try:
        pasted = os.path.join(work, "ls.txt")
        with open(pasted, "w", encoding="utf-8") as f:
            f.write(text)
        p = subprocess.run(
            [_harness(), "capture", "--from-listing", pasted, "--bucket", BUCKET, "--prefix", CAPTURE_PREFIX,
             "--out", os.path.join(work, "out"), "--no-expect"],
            capture_output=True,
            timeout=60,
        )
        expect(p.returncode != 0, "capture refused the paste")
        expect("--recursive" in p.stderr.decode("utf-8", "replace"), f"message names --recursive: {p.stderr[-400:]!r}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv):
    global ENDPOINT
    if len(argv) != 2 or not argv[1].startswith("http"):
        print("usage: test_clients.py http://127.0.0.1:PORT", file=sys.stderr)
        return 2
    ENDPOINT = argv[1].rstrip("/")
    print(f"endpoint {ENDPOINT}; boto3 {boto3.__version__}, botocore {botocore.__version__}")
    passed = failed = 0
    started = time.monotonic()
    for name, fn in CHECKS:
        t0 = time.monotonic()
        try:
            note = fn()
        except CheckFailed as e:
            failed += 1
            print(f"FAIL {name}: {e}", flush=True)
        except Exception as e:  # noqa: BLE001 - any crash is this check's failure
            failed += 1
            detail = e.response if isinstance(e, ClientError) else ""
            print(f"FAIL {name}: {type(e).__name__}: {e} {detail}".rstrip(), flush=True)
            traceback.print_exc(file=sys.stderr)
        else:
            passed += 1
            extra = f" ({note})" if note else ""
            print(f"PASS {name} [{time.monotonic() - t0:.1f}s]{extra}", flush=True)
    print(f"# {len(CHECKS)} checks in {time.monotonic() - started:.1f}s", flush=True)
    summary = f"{passed} passed, {failed} failed"
    print(summary, flush=True)
    if os.environ.get("CLIENTS_SUMMARY_FILE"):  # run.sh repeats it after the server's log
        with open(os.environ["CLIENTS_SUMMARY_FILE"], "w") as f:
            f.write(summary + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
