// Package s3 is the object store on S3 (MinIO or any S3 service), built on
// minio-go: ranged reads, multipart uploads, requests bounded in time and
// retried within a budget, and errors wrapping storage.ErrUnavailable when
// the store cannot serve at all. It is its own package so that the
// packages that only use storage's data types (the planner, the executor)
// do not depend on minio-go.
package s3

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/cirrusdb/cirrus/storage"
)

// errClosed is returned by writers used after Close or Abort.
var errClosed = errors.New("storage: s3: object writer already closed")

// Config says where an S3 store's objects live and how to reach them.
type Config struct {
	// Endpoint is the server's host:port, without a scheme.
	Endpoint string
	// Bucket must exist: New does not create it.
	Bucket string
	// Prefix is the key prefix inside the bucket, "" or a relative path
	// such as "a/b": the store's key k is the S3 object Prefix+"/"+k.
	Prefix string
	// Region is the bucket's region; empty means ask the server (one
	// request at start; MinIO's default region is us-east-1).
	Region string
	// AccessKey and SecretKey are the credentials; when empty they come
	// from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
	AccessKey, SecretKey string
	// TLS makes the client use https.
	TLS bool
	// PartSize is the part size of multipart uploads and the most a writer
	// buffers (default 16 MiB; at least 5 MiB, S3's smallest part).
	PartSize int64
	// RetryBudget is how long one operation retries transient errors
	// (default 8 s). See New.
	RetryBudget time.Duration
}

const (
	// s3MinPartSize is S3's smallest part of a multipart upload but the
	// last; s3MaxPartSize its largest.
	s3MinPartSize     = 5 << 20
	s3MaxPartSize     = 5 << 30
	s3DefaultPartSize = 16 << 20
	s3DefaultBudget   = 8 * time.Second
	// s3CheckTimeout bounds New's check of endpoint, credentials and
	// bucket.
	s3CheckTimeout = 10 * time.Second
	// s3AttemptBase and s3MinThroughput bound one request: it may take
	// s3AttemptBase plus the time to move its payload at s3MinThroughput.
	s3AttemptBase   = 15 * time.Second
	s3MinThroughput = 1 << 20 // bytes per second
	// The first retry waits about s3FirstBackoff, doubling up to
	// s3MaxBackoff.
	s3FirstBackoff = 50 * time.Millisecond
	s3MaxBackoff   = time.Second
)

// validate checks cfg and fills in its defaults.
func (cfg *Config) validate() error {
	if cfg.Endpoint == "" {
		return errors.New("storage: s3: no endpoint given (HOST:PORT)")
	}
	if strings.Contains(cfg.Endpoint, "://") || strings.Contains(cfg.Endpoint, "/") {
		return fmt.Errorf("storage: s3: endpoint %q must be HOST:PORT, without a scheme or path (TLS selects https)", cfg.Endpoint)
	}
	if err := s3utils.CheckValidBucketNameStrict(cfg.Bucket); err != nil {
		return fmt.Errorf("storage: s3: bucket %q: %v", cfg.Bucket, err)
	}
	cfg.Prefix = strings.TrimSuffix(cfg.Prefix, "/")
	if cfg.Prefix != "" {
		if err := storage.ValidateKey(cfg.Prefix); err != nil {
			return fmt.Errorf("storage: s3: prefix %q: %v", cfg.Prefix, err)
		}
	}
	if cfg.AccessKey == "" && cfg.SecretKey == "" {
		cfg.AccessKey = os.Getenv("AWS_ACCESS_KEY_ID")
		cfg.SecretKey = os.Getenv("AWS_SECRET_ACCESS_KEY")
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = s3DefaultPartSize
	}
	if cfg.PartSize < s3MinPartSize || cfg.PartSize > s3MaxPartSize {
		return fmt.Errorf("storage: s3: part size %d is outside S3's limits [5 MiB, 5 GiB]", cfg.PartSize)
	}
	if cfg.RetryBudget == 0 {
		cfg.RetryBudget = s3DefaultBudget
	}
	if cfg.RetryBudget < 0 {
		return fmt.Errorf("storage: s3: negative retry budget %v", cfg.RetryBudget)
	}
	return nil
}

// ParseURL splits a location "s3://BUCKET[/PREFIX]" into its bucket and
// key prefix (without leading or trailing '/').
func ParseURL(u string) (bucket, prefix string, err error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", "", fmt.Errorf("storage: s3 location %q: %v", u, err)
	}
	if p.Scheme != "s3" || p.Opaque != "" {
		return "", "", fmt.Errorf("storage: s3 location %q does not have the form s3://BUCKET/PREFIX", u)
	}
	if p.User != nil || p.Port() != "" || p.RawQuery != "" || p.Fragment != "" {
		return "", "", fmt.Errorf("storage: s3 location %q: only s3://BUCKET/PREFIX is allowed (the endpoint and credentials are set separately)", u)
	}
	bucket = p.Host
	if err := s3utils.CheckValidBucketNameStrict(bucket); err != nil {
		return "", "", fmt.Errorf("storage: s3 location %q: bucket %q: %v", u, bucket, err)
	}
	prefix = strings.TrimSuffix(strings.TrimPrefix(p.Path, "/"), "/")
	if prefix != "" {
		if err := storage.ValidateKey(prefix); err != nil {
			return "", "", fmt.Errorf("storage: s3 location %q: prefix: %v", u, err)
		}
	}
	return bucket, prefix, nil
}

// New returns an storage.ObjectStore keeping its objects in an S3 bucket (MinIO
// or any S3 service), under cfg.Prefix.
//
// Before returning it checks, within 10 s, that the endpoint answers, the
// credentials are accepted and the bucket exists, and fails with an error
// naming the problem (wrapping ErrUnavailable) otherwise.
//
// Every request is bounded: connecting takes at most 3 s, and a request may
// take 15 s plus its payload's time at 1 MiB/s. Transient failures
// (connection refused or reset, timeouts, 5xx, SlowDown, RequestTimeout)
// are retried with exponential backoff and jitter for up to
// cfg.RetryBudget; refused credentials, a missing bucket or object, and
// other client errors are not. An operation that runs out of retries
// returns an error wrapping ErrUnavailable.
//
// Writers buffer up to cfg.PartSize bytes: smaller objects are written with
// one PUT, larger ones by a multipart upload whose parts are retried one by
// one; a failed or aborted writer aborts its upload.
//
// Unlike the local and in-memory stores, a reader does not outlive the
// deletion of its object: ReadAt then fails with an IsNotExist error. A
// reader also fails if its key is replaced by a different object.
func New(ctx context.Context, cfg Config) (storage.ObjectStore, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	transport := newS3Transport()
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       cfg.TLS,
		Transport:    transport,
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath,
		// One attempt per call: the store retries itself, within its
		// budget, so that the two do not multiply.
		MaxRetries: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: s3: %v", err)
	}
	s := &s3Store{cfg: cfg, core: minio.Core{Client: client}, transport: transport}
	if cfg.Prefix != "" {
		s.prefix = cfg.Prefix + "/"
	}
	if err := s.check(ctx); err != nil {
		transport.CloseIdleConnections()
		return nil, err
	}
	return s, nil
}

// newS3Transport returns the HTTP transport of one store: enough idle
// connections for many parallel ranged reads, and bounded dialing and
// waiting for response headers.
func newS3Transport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: s3AttemptBase,
		ExpectContinueTimeout: time.Second,
		// Objects are Parquet and JSON; compression would only break
		// ranged reads.
		DisableCompression: true,
		TLSClientConfig:    &tls.Config{MinVersion: tls.VersionTLS12},
	}
}

type s3Store struct {
	cfg       Config
	prefix    string // cfg.Prefix + "/", or ""
	core      minio.Core
	transport *http.Transport
}

var _ storage.ObjectStore = (*s3Store)(nil)

// object validates key and returns its S3 object name.
func (s *s3Store) object(key string) (string, error) {
	if err := storage.ValidateKey(key); err != nil {
		return "", err
	}
	return s.prefix + key, nil
}

// errNoBucket is check's error for a missing bucket.
var errNoBucket = errors.New("NoSuchBucket")

// check makes sure, within s3CheckTimeout, that the bucket can be used.
func (s *s3Store) check(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, s3CheckTimeout)
	defer cancel()
	err := s.retry(cctx, "check bucket", "", 0, func(ctx context.Context) error {
		ok, err := s.core.BucketExists(ctx, s.cfg.Bucket)
		if err == nil && !ok {
			err = errNoBucket
		}
		return err
	})
	if err != nil && ctx.Err() == nil && cctx.Err() != nil {
		return storage.Unavailable(fmt.Sprintf("storage: s3: cannot reach %s: no answer within %v", s.cfg.Endpoint, s3CheckTimeout), err)
	}
	return err
}

func (s *s3Store) Put(ctx context.Context, key string, data []byte) error {
	obj, err := s.object(key)
	if err != nil {
		return err
	}
	return s.put(ctx, key, obj, data)
}

// put writes data as object obj (the store's key) with one PUT.
func (s *s3Store) put(ctx context.Context, key, obj string, data []byte) error {
	return s.retry(ctx, "put", key, int64(len(data)), func(ctx context.Context) error {
		_, err := s.core.PutObject(ctx, s.cfg.Bucket, obj, bytes.NewReader(data), int64(len(data)), "", "", minio.PutObjectOptions{})
		return err
	})
}

func (s *s3Store) Create(ctx context.Context, key string) (storage.ObjectWriter, error) {
	obj, err := s.object(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &s3Writer{ctx: ctx, s: s, key: key, obj: obj}, nil
}

// Get reads the object's size first, so that the read that follows is
// bounded by its size like any ranged read.
func (s *s3Store) Get(ctx context.Context, key string) ([]byte, error) {
	r, err := s.open(ctx, "get", key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data := make([]byte, r.size)
	if _, err := r.ReadAt(data, 0); err != nil {
		return nil, err
	}
	return data, nil
}

func (s *s3Store) Open(ctx context.Context, key string) (storage.ObjectReader, error) {
	return s.open(ctx, "open", key)
}

// open returns a reader of key after one StatObject for its size and ETag.
func (s *s3Store) open(ctx context.Context, op, key string) (*s3Reader, error) {
	obj, err := s.object(key)
	if err != nil {
		return nil, err
	}
	var info minio.ObjectInfo
	err = s.retry(ctx, op, key, 0, func(ctx context.Context) error {
		info, err = s.core.StatObject(ctx, s.cfg.Bucket, obj, minio.StatObjectOptions{})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &s3Reader{ctx: ctx, s: s, key: key, obj: obj, size: info.Size, etag: info.ETag}, nil
}

func (s *s3Store) Delete(ctx context.Context, key string) error {
	obj, err := s.object(key)
	if err != nil {
		return err
	}
	return s.retry(ctx, "delete", key, 0, func(ctx context.Context) error {
		return s.core.RemoveObject(ctx, s.cfg.Bucket, obj, minio.RemoveObjectOptions{})
	})
}

func (s *s3Store) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	err := s.retry(ctx, "list", prefix, 0, func(ctx context.Context) error {
		keys = keys[:0]
		// Stop the listing's goroutine however the loop ends.
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for info := range s.core.ListObjectsIter(ctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
			if info.Err != nil {
				return info.Err
			}
			keys = append(keys, strings.TrimPrefix(info.Key, s.prefix))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(keys)
	return keys, nil
}

func (s *s3Store) IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

func (s *s3Store) Close() error {
	s.transport.CloseIdleConnections()
	return nil
}

// retry runs one attempt of an operation after another until one succeeds,
// the error is not transient, ctx is done, or the next attempt would start
// after the retry budget. Each attempt's context is bounded by
// attemptTimeout(payload). The error returned is mapped by s.mapErr.
func (s *s3Store) retry(ctx context.Context, op, key string, payload int64, attempt func(context.Context) error) error {
	start := time.Now()
	backoff := s3FirstBackoff
	for n := 1; ; n++ {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout(payload))
		err := attempt(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("storage: s3: %s: %w", describe(op, key), ctx.Err())
		}
		if !isTransient(err) {
			return s.mapErr(op, key, err)
		}
		// Jitter over the upper half: wait in [backoff/2, backoff).
		wait := backoff/2 + rand.N(backoff/2)
		if elapsed := time.Since(start); elapsed+wait > s.cfg.RetryBudget {
			return s.gaveUp(op, key, err, n, elapsed)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("storage: s3: %s: %w", describe(op, key), ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, s3MaxBackoff)
	}
}

// gaveUp returns the error of an operation whose n attempts all failed
// with transient errors, the last being err.
func (s *s3Store) gaveUp(op, key string, err error, n int, elapsed time.Duration) error {
	elapsed = elapsed.Round(time.Millisecond)
	if minio.ToErrorResponse(err).StatusCode == 0 {
		// A network error: say what happened without the request's URL.
		cause := err
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			cause = urlErr.Err
		}
		return storage.Unavailable(fmt.Sprintf("storage: s3: cannot reach %s: %s: %v (%d attempts in %v)", s.cfg.Endpoint, describe(op, key), cause, n, elapsed), err)
	}
	return storage.Unavailable(fmt.Sprintf("storage: s3: %s at %s failed %d times in %v: %v", describe(op, key), s.cfg.Endpoint, n, elapsed, err), err)
}

// attemptTimeout bounds one request moving payload bytes.
func attemptTimeout(payload int64) time.Duration {
	return s3AttemptBase + time.Duration(payload/s3MinThroughput)*time.Second
}

// describe names an operation on a key for error messages.
func describe(op, key string) string {
	if key == "" {
		return op
	}
	return fmt.Sprintf("%s %q", op, key)
}

// accessCodes are the S3 error codes of refused credentials.
var accessCodes = map[string]bool{
	"AccessDenied":          true,
	"InvalidAccessKeyId":    true,
	"SignatureDoesNotMatch": true,
	"InvalidToken":          true,
	"ExpiredToken":          true,
	"AllAccessDisabled":     true,
	"AccountProblem":        true,
}

// mapErr turns a non-transient error from minio-go into the store's error.
func (s *s3Store) mapErr(op, key string, err error) error {
	if errors.Is(err, errNoBucket) {
		return storage.Unavailable(fmt.Sprintf("storage: s3: bucket %q does not exist at %s", s.cfg.Bucket, s.cfg.Endpoint), err)
	}
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == minio.NoSuchKey:
		return &fs.PathError{Op: op, Path: key, Err: fs.ErrNotExist}
	case resp.Code == minio.NoSuchBucket:
		return storage.Unavailable(fmt.Sprintf("storage: s3: bucket %q does not exist at %s", s.cfg.Bucket, s.cfg.Endpoint), err)
	case accessCodes[resp.Code] || resp.StatusCode == http.StatusForbidden:
		return storage.Unavailable(fmt.Sprintf("storage: s3: access denied at %s (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or --s3-access-key/--s3-secret-key): %s %s",
			s.cfg.Endpoint, resp.Code, resp.Message), err)
	case resp.Code != "":
		return fmt.Errorf("storage: s3: %s: %s: %w", describe(op, key), resp.Code, err)
	}
	return fmt.Errorf("storage: s3: %s: %w", describe(op, key), err)
}

// transientCodes are the S3 error codes worth retrying.
var transientCodes = map[string]bool{
	"RequestTimeout":             true,
	"SlowDown":                   true,
	"SlowDownRead":               true,
	"SlowDownWrite":              true,
	"Throttling":                 true,
	"ThrottlingException":        true,
	"RequestLimitExceeded":       true,
	"RequestThrottled":           true,
	"InternalError":              true,
	"ServiceUnavailable":         true,
	"XMinioServerNotInitialized": true,
}

// isTransient reports whether err may go away if the request is repeated:
// a failed or timed-out connection, a 5xx or throttling answer.
func isTransient(err error) bool {
	if resp := minio.ToErrorResponse(err); resp.Code != "" || resp.StatusCode != 0 {
		return transientCodes[resp.Code] || resp.StatusCode >= 500 ||
			resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout
	}
	// The attempt's own deadline (the caller's context is checked first).
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE)
}

// s3Writer buffers an object's bytes: up to one part it is written with one
// PUT at Close; beyond that each full part is uploaded in the background
// while the next one fills, one upload at a time.
type s3Writer struct {
	ctx      context.Context
	s        *s3Store
	key, obj string
	buf      []byte // the part being filled
	uploadID string // "" until the first part is sent
	parts    []minio.CompletePart
	inflight chan partResult // the part being uploaded, or nil
	spare    []byte          // the buffer of the last uploaded part, for reuse
	err      error           // the first failure; the upload is aborted then
	done     bool
}

// partResult is the outcome of one part's upload.
type partResult struct {
	part minio.CompletePart
	buf  []byte
	err  error
}

func (w *s3Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	partSize := int(w.s.cfg.PartSize)
	n := 0
	for len(p) > 0 {
		if w.buf == nil {
			// Small objects never allocate a whole part.
			w.buf = make([]byte, 0, min(partSize, max(len(p), 64<<10)))
		}
		take := min(partSize-len(w.buf), len(p))
		w.buf = append(w.buf, p[:take]...)
		p = p[take:]
		n += take
		if len(w.buf) == partSize {
			if err := w.sendPart(); err != nil {
				w.fail(err)
				return n, err
			}
		}
	}
	return n, nil
}

// sendPart starts uploading w.buf as the next part, after the previous
// part's upload has finished, and gives w.buf a fresh buffer. The
// multipart upload is created first if needed.
func (w *s3Writer) sendPart() error {
	if err := w.wait(); err != nil {
		return err
	}
	s := w.s
	if w.uploadID == "" {
		var id string
		err := s.retry(w.ctx, "create", w.key, 0, func(ctx context.Context) error {
			var err error
			id, err = s.core.NewMultipartUpload(ctx, s.cfg.Bucket, w.obj, minio.PutObjectOptions{})
			return err
		})
		if err != nil {
			return err
		}
		w.uploadID = id
	}
	num, buf := len(w.parts)+1, w.buf
	w.buf, w.spare = w.spare[:0], nil
	ch := make(chan partResult, 1)
	w.inflight = ch
	go func() {
		var part minio.ObjectPart
		err := s.retry(w.ctx, fmt.Sprintf("upload part %d of", num), w.key, int64(len(buf)), func(ctx context.Context) error {
			var err error
			part, err = s.core.PutObjectPart(ctx, s.cfg.Bucket, w.obj, w.uploadID, num, bytes.NewReader(buf), int64(len(buf)), minio.PutObjectPartOptions{})
			return err
		})
		ch <- partResult{part: minio.CompletePart{PartNumber: num, ETag: part.ETag}, buf: buf, err: err}
	}()
	return nil
}

// wait waits for the part being uploaded, if any, and records it.
func (w *s3Writer) wait() error {
	if w.inflight == nil {
		return nil
	}
	r := <-w.inflight
	w.inflight = nil
	if r.err != nil {
		return r.err
	}
	w.parts = append(w.parts, r.part)
	w.spare = r.buf
	return nil
}

func (w *s3Writer) Close() error {
	if w.done {
		return errClosed
	}
	w.done = true
	if w.err != nil {
		return w.err
	}
	if err := w.close(); err != nil {
		w.fail(err)
		return err
	}
	w.buf, w.spare = nil, nil
	return nil
}

func (w *s3Writer) close() error {
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("storage: s3: create %q: %w", w.key, err)
	}
	if w.uploadID == "" {
		return w.s.put(w.ctx, w.key, w.obj, w.buf)
	}
	if len(w.buf) > 0 {
		if err := w.sendPart(); err != nil {
			return err
		}
	}
	if err := w.wait(); err != nil {
		return err
	}
	s := w.s
	retried := false
	return s.retry(w.ctx, "complete", w.key, 0, func(ctx context.Context) error {
		_, err := s.core.CompleteMultipartUpload(ctx, s.cfg.Bucket, w.obj, w.uploadID, w.parts, minio.PutObjectOptions{})
		if err != nil && retried && minio.ToErrorResponse(err).Code == minio.NoSuchUpload {
			// An earlier attempt completed the upload but its answer was
			// lost. Keys are never reused, so the object is ours.
			if _, serr := s.core.StatObject(ctx, s.cfg.Bucket, w.obj, minio.StatObjectOptions{}); serr == nil {
				return nil
			}
		}
		retried = true
		return err
	})
}

// fail records err and aborts the multipart upload, if any, so that no
// parts are left behind (as far as the server can be reached).
func (w *s3Writer) fail(err error) {
	w.err = err
	// A part still being uploaded would outlive the abort.
	_ = w.wait()
	w.buf, w.spare = nil, nil
	if w.uploadID == "" {
		return
	}
	s := w.s
	abort := func(ctx context.Context) error {
		err := s.core.AbortMultipartUpload(ctx, s.cfg.Bucket, w.obj, w.uploadID)
		if minio.ToErrorResponse(err).Code == minio.NoSuchUpload {
			return nil
		}
		return err
	}
	// The writer's context may be the reason for the failure; aborting
	// must still be tried.
	ctx := context.WithoutCancel(w.ctx)
	if errors.Is(err, storage.ErrUnavailable) {
		// The server has just failed for a whole retry budget: one
		// attempt, so that the writer does not fail twice as slowly.
		actx, cancel := context.WithTimeout(ctx, attemptTimeout(0))
		_ = abort(actx)
		cancel()
	} else {
		_ = s.retry(ctx, "abort", w.key, 0, abort)
	}
	w.uploadID = ""
}

func (w *s3Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	if w.err == nil {
		w.fail(errClosed)
	}
}

// s3Reader reads ranges of one object with ranged GETs under the context
// given to Open. It pins the object's ETag, so that it never mixes bytes of
// two objects written under the same key.
type s3Reader struct {
	ctx      context.Context
	s        *s3Store
	key, obj string
	size     int64
	etag     string
	closed   atomic.Bool
}

// errReplaced is a reader's error when its key holds a different object
// than at Open.
var errReplaced = errors.New("the object was replaced since it was opened")

func (r *s3Reader) Size() int64 { return r.size }

func (r *s3Reader) ReadAt(p []byte, off int64) (int, error) {
	if r.closed.Load() {
		return 0, fmt.Errorf("storage: s3: read %q: reader is closed", r.key)
	}
	if off < 0 {
		return 0, fmt.Errorf("storage: s3: read %q: negative offset %d", r.key, off)
	}
	if off >= r.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), r.size-off))
	if n > 0 {
		s := r.s
		err := s.retry(r.ctx, "read", r.key, int64(n), func(ctx context.Context) error {
			opts := minio.GetObjectOptions{}
			if err := opts.SetMatchETag(r.etag); err != nil {
				return err
			}
			if err := opts.SetRange(off, off+int64(n)-1); err != nil {
				return err
			}
			body, _, _, err := s.core.GetObject(ctx, s.cfg.Bucket, r.obj, opts)
			if minio.ToErrorResponse(err).Code == "PreconditionFailed" {
				return errReplaced
			}
			if err != nil {
				return err
			}
			defer body.Close()
			_, err = io.ReadFull(body, p[:n])
			return err
		})
		if err != nil {
			return 0, err
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *s3Reader) Close() error {
	r.closed.Store(true)
	return nil
}

// OpenLocation opens the store at loc: an s3:// URL with New (checking,
// within 10 s, that the endpoint answers, the credentials are accepted and
// the bucket exists), a directory with storage.NewLocal.
func OpenLocation(ctx context.Context, loc storage.Location) (storage.ObjectStore, error) {
	if !loc.IsS3() {
		if loc.URL == "" {
			return nil, errors.New("storage: no location given")
		}
		return storage.NewLocal(strings.TrimPrefix(loc.URL, "file://"))
	}
	bucket, prefix, err := ParseURL(loc.URL)
	if err != nil {
		return nil, err
	}
	if loc.S3Endpoint == "" {
		return nil, errors.New("storage: an s3:// location needs an endpoint (--s3-endpoint HOST:PORT)")
	}
	return New(ctx, Config{Endpoint: loc.S3Endpoint, Bucket: bucket, Prefix: prefix, Region: loc.S3Region,
		AccessKey: loc.S3AccessKey, SecretKey: loc.S3SecretKey, TLS: loc.S3TLS})
}
