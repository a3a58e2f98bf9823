package storage

import "strings"

// Location says where a cluster's objects live: a local directory (the
// default; a shared file system for several hosts) or an S3 bucket (MinIO
// or any S3). Every role that touches storage opens the same Location
// (s3.OpenLocation). It is written to a dev cluster's cluster.json without
// the credentials.
type Location struct {
	// URL is "s3://BUCKET[/PREFIX]" or a directory path.
	URL string `json:"url"`
	// S3Endpoint (host:port), S3Region and S3TLS configure the S3 client.
	S3Endpoint string `json:"s3_endpoint,omitempty"`
	S3Region   string `json:"s3_region,omitempty"`
	S3TLS      bool   `json:"s3_tls,omitempty"`
	// S3AccessKey and S3SecretKey are the credentials; empty means
	// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment.
	S3AccessKey string `json:"-"`
	S3SecretKey string `json:"-"`
}

// IsS3 reports whether the location is an S3 bucket.
func (l Location) IsS3() bool { return strings.HasPrefix(l.URL, "s3://") }
