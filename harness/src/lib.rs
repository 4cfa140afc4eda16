//! A local S3 simulator.
