//! Bucket operations: ListBuckets, CreateBucket, DeleteBucket, HeadBucket,
//! GetBucketLocation, and the bucket policy (Get/Put/DeleteBucketPolicy).

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::{SimS3, caller_account, owner, ts};
use crate::sim::store::StoredPolicy;

pub(super) async fn list_buckets(
    sim: &SimS3,
    req: S3Request<ListBucketsInput>,
) -> S3Result<S3Response<ListBucketsOutput>> {
    // Only the caller's own buckets (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html).
    let account = caller_account(sim, &req);
    let buckets = sim
        .store()
        .buckets()
        .into_iter()
        .filter(|b| b.owner == account)
        .filter(|b| req.input.prefix.as_deref().is_none_or(|p| b.name.starts_with(p)))
        .filter(|b| req.input.bucket_region.as_deref().is_none_or(|r| b.region == r))
        .map(|b| s3s::dto::Bucket {
            name: Some(b.name),
            creation_date: Some(ts(b.created)),
            bucket_region: Some(b.region),
        })
        .collect();
    Ok(S3Response::new(ListBucketsOutput {
        buckets: Some(buckets),
        owner: Some(owner(&account)),
        prefix: req.input.prefix,
        ..Default::default()
    }))
}

pub(super) async fn create_bucket(
    sim: &SimS3,
    req: S3Request<CreateBucketInput>,
) -> S3Result<S3Response<CreateBucketOutput>> {
    let name = req.input.bucket.clone();
    s3_connector::names::validate_bucket_name(&name)
        .map_err(|why| s3_error!(InvalidBucketName, "The specified bucket is not valid: {why}"))?;
    let constraint = req
        .input
        .create_bucket_configuration
        .as_ref()
        .and_then(|c| c.location_constraint.as_ref())
        .map(|c| c.as_str().to_owned());
    let signed = super::signed_region(&req).map_or_else(|| "us-east-1".to_owned(), str::to_owned);
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html: no
    // constraint means us-east-1, which may not be named explicitly; another
    // region's endpoint only creates buckets in its own region.
    let region = match constraint.as_deref() {
        Some("us-east-1") => {
            return Err(s3_error!(
                InvalidLocationConstraint,
                "The specified location-constraint is not valid"
            ));
        }
        Some(c) if signed != "us-east-1" && signed != c => {
            return Err(s3_error!(
                IllegalLocationConstraintException,
                "The {c} location constraint is incompatible for the region specific endpoint this request was sent to."
            ));
        }
        Some(c) => c.to_owned(),
        None if signed != "us-east-1" => {
            return Err(s3_error!(
                IllegalLocationConstraintException,
                "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to."
            ));
        }
        None => "us-east-1".to_owned(),
    };
    let account = caller_account(sim, &req);
    sim.store().create_bucket(&name, &region, &account)?;
    Ok(S3Response::new(CreateBucketOutput {
        location: Some(format!("/{name}")),
    }))
}

pub(super) async fn delete_bucket(
    sim: &SimS3,
    req: S3Request<DeleteBucketInput>,
) -> S3Result<S3Response<DeleteBucketOutput>> {
    sim.store().delete_bucket(&req.input.bucket)?;
    Ok(S3Response::new(DeleteBucketOutput {}))
}

pub(super) async fn head_bucket(
    sim: &SimS3,
    req: S3Request<HeadBucketInput>,
) -> S3Result<S3Response<HeadBucketOutput>> {
    let b = sim.store().bucket(&req.input.bucket)?;
    Ok(S3Response::new(HeadBucketOutput {
        bucket_region: Some(b.region),
        ..Default::default()
    }))
}

pub(super) async fn get_bucket_location(
    sim: &SimS3,
    req: S3Request<GetBucketLocationInput>,
) -> S3Result<S3Response<GetBucketLocationOutput>> {
    let b = sim.store().bucket(&req.input.bucket)?;
    // us-east-1 is answered with an empty (null) LocationConstraint
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html).
    let location_constraint = (b.region != "us-east-1").then(|| BucketLocationConstraint::from(b.region));
    Ok(S3Response::new(GetBucketLocationOutput { location_constraint }))
}

pub(super) async fn get_bucket_policy(
    sim: &SimS3,
    req: S3Request<GetBucketPolicyInput>,
) -> S3Result<S3Response<GetBucketPolicyOutput>> {
    match sim.store().bucket(&req.input.bucket)?.policy {
        Some(p) => Ok(S3Response::new(GetBucketPolicyOutput {
            policy: Some(p.text().to_owned()),
        })),
        None => Err(s3_error!(NoSuchBucketPolicy, "The bucket policy does not exist")),
    }
}

pub(super) async fn put_bucket_policy(
    sim: &SimS3,
    req: S3Request<PutBucketPolicyInput>,
) -> S3Result<S3Response<PutBucketPolicyOutput>> {
    let policy =
        StoredPolicy::parse(&req.input.policy, &req.input.bucket).map_err(|e| s3_error!(MalformedPolicy, "{e}"))?;
    sim.store().set_policy(&req.input.bucket, Some(policy))?;
    Ok(S3Response::new(PutBucketPolicyOutput::default()))
}

pub(super) async fn delete_bucket_policy(
    sim: &SimS3,
    req: S3Request<DeleteBucketPolicyInput>,
) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
    sim.store().set_policy(&req.input.bucket, None)?;
    Ok(S3Response::new(DeleteBucketPolicyOutput::default()))
}
