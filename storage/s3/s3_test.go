package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/cirrusdb/cirrus/internal/miniotest"
	"github.com/cirrusdb/cirrus/storage"
	"github.com/cirrusdb/cirrus/storage/s3"
)

func TestMain(m *testing.M) { miniotest.Main(m) }

// partSize is the part size of the tests' multipart uploads: S3's (and
// MinIO's) smallest.
const partSize = 5 << 20

func newS3(t *testing.T, cfg s3.Config) storage.ObjectStore {
	t.Helper()
	s, err := s3.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// incompleteUploads returns the keys of bucket's unfinished multipart
// uploads.
func incompleteUploads(t *testing.T, srv *miniotest.Server, bucket string) []string {
	t.Helper()
	res, err := (minio.Core{Client: srv.Client(t)}).ListMultipartUploads(context.Background(), bucket, "", "", "", "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, u := range res.Uploads {
		keys = append(keys, u.Key)
	}
	return keys
}

func pattern(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// writeInChunks writes data through w in chunks of varying, odd sizes.
func writeInChunks(t *testing.T, w storage.ObjectWriter, data []byte) {
	t.Helper()
	for i, off := 0, 0; off < len(data); i++ {
		n := min(len(data)-off, 1<<20+i*4099)
		if _, err := w.Write(data[off : off+n]); err != nil {
			t.Fatal(err)
		}
		off += n
	}
}

func TestS3Multipart(t *testing.T) {
	srv := miniotest.Shared(t)
	bucket := srv.NewBucket(t)
	cfg := srv.S3Config(bucket, "")
	cfg.PartSize = partSize
	s := newS3(t, cfg)
	defer s.Close()
	ctx := context.Background()
	for _, tc := range []struct {
		size  int
		parts int // 0: written with one PUT
	}{
		{partSize - 1, 0},
		{partSize, 1},
		{2 * partSize, 2},
		{3*partSize + 12345, 4},
	} {
		key := fmt.Sprintf("obj-%d", tc.size)
		data := pattern(tc.size, uint64(tc.size))
		w, err := s.Create(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		writeInChunks(t, w, data)
		if keys, _ := s.List(ctx, key); len(keys) != 0 {
			t.Fatalf("%s visible before Close", key)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		info, err := srv.Client(t).StatObject(ctx, bucket, key, minio.StatObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// A multipart object's ETag ends in -<number of parts>.
		if _, parts, multipart := strings.Cut(info.ETag, "-"); multipart != (tc.parts > 0) || multipart && parts != strconv.Itoa(tc.parts) {
			t.Errorf("%s: ETag %q, want %d parts", key, info.ETag, tc.parts)
		}
		got, err := s.Get(ctx, key)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s: Get: %d bytes, %v", key, len(got), err)
		}

		r, err := s.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if r.Size() != int64(tc.size) {
			t.Fatalf("%s: Size = %d", key, r.Size())
		}
		buf := make([]byte, 1000)
		for _, off := range []int{0, min(partSize-500, tc.size-1000), tc.size - 1000} {
			if n, err := r.ReadAt(buf, int64(off)); n != 1000 || err != nil || !bytes.Equal(buf, data[off:off+1000]) {
				t.Fatalf("%s: ReadAt(%d) = %d, %v", key, off, n, err)
			}
		}
		// The last bytes, then past the end.
		if n, err := r.ReadAt(buf, int64(tc.size-10)); n != 10 || err != io.EOF || !bytes.Equal(buf[:10], data[tc.size-10:]) {
			t.Fatalf("%s: ReadAt at end = %d, %v", key, n, err)
		}
		if n, err := r.ReadAt(buf, int64(tc.size)); n != 0 || err != io.EOF {
			t.Fatalf("%s: ReadAt at size = %d, %v", key, n, err)
		}
		if n, err := r.ReadAt(buf[:0], int64(tc.size-1)); n != 0 || err != nil {
			t.Fatalf("%s: empty ReadAt = %d, %v", key, n, err)
		}
		r.Close()
	}

	// Aborting a writer that has uploaded parts leaves nothing behind.
	w, err := s.Create(ctx, "aborted")
	if err != nil {
		t.Fatal(err)
	}
	writeInChunks(t, w, pattern(partSize+1, 1))
	if got := incompleteUploads(t, srv, bucket); !reflect.DeepEqual(got, []string{"aborted"}) {
		t.Fatalf("incomplete uploads while writing = %v", got)
	}
	w.Abort()
	if got := incompleteUploads(t, srv, bucket); len(got) != 0 {
		t.Fatalf("incomplete uploads after Abort = %v", got)
	}
	if _, err := s.Get(ctx, "aborted"); !s.IsNotExist(err) {
		t.Fatalf("aborted object: %v", err)
	}

	// So does a writer whose context is cancelled.
	cctx, cancel := context.WithCancel(ctx)
	w, err = s.Create(cctx, "cancelled")
	if err != nil {
		t.Fatal(err)
	}
	writeInChunks(t, w, pattern(partSize+1, 1))
	cancel()
	if err := w.Close(); !errors.Is(err, context.Canceled) || errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Close with a cancelled context: %v", err)
	}
	if got := incompleteUploads(t, srv, bucket); len(got) != 0 {
		t.Fatalf("incomplete uploads after a cancelled Close = %v", got)
	}
	if _, err := s.Get(ctx, "cancelled"); !s.IsNotExist(err) {
		t.Fatalf("cancelled object: %v", err)
	}
}

func TestS3ConcurrentReadAt(t *testing.T) {
	srv := miniotest.Shared(t)
	s := newS3(t, srv.S3Config(srv.NewBucket(t), ""))
	defer s.Close()
	ctx := context.Background()
	data := pattern(3<<20, 7)
	if err := s.Put(ctx, "tables/1/data/f.parquet", data); err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(ctx, "tables/1/data/f.parquet")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(g), 2))
			for range 20 {
				n := 1 + rnd.IntN(64<<10)
				off := rnd.IntN(len(data) - n + 1)
				buf := make([]byte, n)
				if got, err := r.ReadAt(buf, int64(off)); got != n || err != nil || !bytes.Equal(buf, data[off:off+n]) {
					t.Errorf("ReadAt(%d, %d) = %d, %v", n, off, got, err)
					return
				}
			}
		})
	}
	wg.Wait()

	// A reader never mixes two objects written under one key.
	if err := s.Put(ctx, "tables/1/data/f.parquet", pattern(3<<20, 8)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadAt(make([]byte, 10), 0); err == nil || !strings.Contains(err.Error(), "replaced") {
		t.Fatalf("ReadAt of a replaced object: %v", err)
	}
}

func TestS3Prefix(t *testing.T) {
	srv := miniotest.Shared(t)
	bucket := srv.NewBucket(t)
	ctx := context.Background()
	root := newS3(t, srv.S3Config(bucket, ""))
	ab := newS3(t, srv.S3Config(bucket, "a/b"))
	abb := newS3(t, srv.S3Config(bucket, "a/bb/"))
	a := newS3(t, srv.S3Config(bucket, "a"))
	for _, kv := range []struct {
		s   storage.ObjectStore
		key string
	}{{ab, "x/y"}, {ab, "z"}, {abb, "x/y"}, {root, "top"}} {
		if err := kv.s.Put(ctx, kv.key, []byte(kv.key)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		s      storage.ObjectStore
		prefix string
		want   []string
	}{
		{root, "", []string{"a/b/x/y", "a/b/z", "a/bb/x/y", "top"}},
		{ab, "", []string{"x/y", "z"}},
		{ab, "x", []string{"x/y"}},
		{abb, "", []string{"x/y"}},
		{a, "b", []string{"b/x/y", "b/z", "bb/x/y"}},
		{a, "b/", []string{"b/x/y", "b/z"}},
	} {
		if got, err := tc.s.List(ctx, tc.prefix); err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("List(%q) = %v, %v; want %v", tc.prefix, got, err, tc.want)
		}
	}
	if got, err := a.Get(ctx, "b/x/y"); err != nil || string(got) != "x/y" {
		t.Fatalf("Get through the parent prefix = %q, %v", got, err)
	}
	if _, err := abb.Get(ctx, "z"); !abb.IsNotExist(err) {
		t.Fatalf("Get of another prefix's key: %v", err)
	}
	if err := ab.Delete(ctx, "z"); err != nil {
		t.Fatal(err)
	}
	if got, _ := root.List(ctx, "a/b/"); !reflect.DeepEqual(got, []string{"a/b/x/y"}) {
		t.Fatalf("List after Delete = %v", got)
	}
}

// TestS3Errors checks that a store that cannot be used fails at NewS3,
// quickly and with an error naming the problem.
func TestS3Errors(t *testing.T) {
	srv := miniotest.Shared(t)
	bucket := srv.NewBucket(t)
	wrongKey := srv.S3Config(bucket, "")
	wrongKey.AccessKey = "nobody"
	wrongSecret := srv.S3Config(bucket, "")
	wrongSecret.SecretKey = "not-the-secret"
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := srv.S3Config(bucket, "")
	unreachable.Endpoint = closed.Addr().String()
	closed.Close()

	for _, tc := range []struct {
		name string
		cfg  s3.Config
		want string
	}{
		{"access key", wrongKey, "storage: s3: access denied at " + srv.Endpoint +
			" (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or --s3-access-key/--s3-secret-key): InvalidAccessKeyId "},
		{"secret key", wrongSecret, "storage: s3: access denied at " + srv.Endpoint +
			" (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or --s3-access-key/--s3-secret-key): SignatureDoesNotMatch "},
		{"bucket", srv.S3Config("no-such-bucket", ""),
			`storage: s3: bucket "no-such-bucket" does not exist at ` + srv.Endpoint},
		{"unreachable", unreachable, "storage: s3: cannot reach " + unreachable.Endpoint + ": "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			s, err := s3.New(context.Background(), tc.cfg)
			if err == nil {
				s.Close()
				t.Fatal("NewS3 succeeded")
			}
			d := time.Since(start)
			t.Logf("after %v: %v", d.Round(time.Millisecond), err)
			if d >= 10*time.Second {
				t.Errorf("NewS3 took %v", d)
			}
			if !errors.Is(err, storage.ErrUnavailable) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("NewS3: %v\nwant an ErrUnavailable beginning %q", err, tc.want)
			}
		})
	}

	// A cancelled caller's context is reported as such, not as an
	// unavailable store.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s3.New(ctx, srv.S3Config(bucket, "")); !errors.Is(err, context.Canceled) || errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("NewS3 with a cancelled context: %v", err)
	}
}

// TestS3ServerFailure kills MinIO while a multipart upload is under way.
func TestS3ServerFailure(t *testing.T) {
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "bkt")
	ctx := context.Background()
	cfg := srv.S3Config("bkt", "p")
	cfg.PartSize = partSize
	cfg.RetryBudget = time.Second
	s := newS3(t, cfg)
	defer s.Close()

	w, err := s.Create(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	writeInChunks(t, w, pattern(partSize+100, 3)) // one part sent
	if got := incompleteUploads(t, srv, "bkt"); !reflect.DeepEqual(got, []string{"p/big"}) {
		t.Fatalf("incomplete uploads before the failure = %v", got)
	}
	srv.Kill()
	start := time.Now()
	// An upload fails in Write or, failing that, in Close.
	_, werr := w.Write(pattern(partSize, 4))
	cerr := w.Close()
	d := time.Since(start)
	t.Logf("after %v: Write: %v; Close: %v", d.Round(time.Millisecond), werr, cerr)
	if d > 5*time.Second {
		t.Errorf("failing took %v with a retry budget of 1s", d)
	}
	if cerr == nil || !errors.Is(cerr, storage.ErrUnavailable) || !strings.Contains(cerr.Error(), "cannot reach "+srv.Endpoint) {
		t.Fatalf("Close after the server died: %v (Write: %v)", cerr, werr)
	}
	if _, err := s.Get(ctx, "x"); !errors.Is(err, storage.ErrUnavailable) || s.IsNotExist(err) {
		t.Fatalf("Get from a dead server: %v", err)
	}

	srv.Restart(t)
	if _, err := s.Get(ctx, "big"); !s.IsNotExist(err) {
		t.Fatalf("object of the failed upload: %v", err)
	}
	if keys, err := s.List(ctx, ""); err != nil || len(keys) != 0 {
		t.Fatalf("List after restart = %v, %v", keys, err)
	}

	// Transient failures are retried within the budget: a Put issued while
	// the server is down succeeds once it is back.
	cfg.RetryBudget = 0 // the default, 8 s
	s = newS3(t, cfg)
	defer s.Close()
	srv.Stop()
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		time.Sleep(300 * time.Millisecond)
		srv.Restart(t)
	}()
	if err := s.Put(ctx, "during-restart", []byte("ok")); err != nil {
		t.Fatalf("Put across a restart: %v\nMinIO log:\n%s", err, srv.Log())
	}
	<-restarted
	if got, err := s.Get(ctx, "during-restart"); err != nil || string(got) != "ok" {
		t.Fatalf("Get = %q, %v", got, err)
	}
}

func TestParseS3URL(t *testing.T) {
	for _, tc := range []struct {
		url            string
		bucket, prefix string
		err            string
	}{
		{url: "s3://cirrus", bucket: "cirrus"},
		{url: "s3://cirrus/", bucket: "cirrus"},
		{url: "s3://cirrus/a/b", bucket: "cirrus", prefix: "a/b"},
		{url: "s3://cirrus/a/b/", bucket: "cirrus", prefix: "a/b"},
		{url: "s3://cirrus/a//b", err: "empty segment"},
		{url: "s3://cirrus/a/../b", err: `".." segment`},
		{url: "s3://", err: "bucket"},
		{url: "s3://Bad_Bucket/x", err: "bucket"},
		{url: "http://cirrus/x", err: "does not have the form"},
		{url: "s3:cirrus", err: "does not have the form"},
		{url: "/data/dir", err: "does not have the form"},
		{url: "s3://key:secret@cirrus/x", err: "only s3://BUCKET/PREFIX"},
		{url: "s3://cirrus:9000/x", err: "only s3://BUCKET/PREFIX"},
		{url: "s3://cirrus/x?region=eu", err: "only s3://BUCKET/PREFIX"},
	} {
		bucket, prefix, err := s3.ParseURL(tc.url)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseS3URL(%q) = %q, %q, %v; want an error containing %q", tc.url, bucket, prefix, err, tc.err)
			}
			continue
		}
		if err != nil || bucket != tc.bucket || prefix != tc.prefix {
			t.Errorf("ParseS3URL(%q) = %q, %q, %v; want %q, %q", tc.url, bucket, prefix, err, tc.bucket, tc.prefix)
		}
	}
}

func TestS3ConfigErrors(t *testing.T) {
	ok := s3.Config{Endpoint: "127.0.0.1:1", Bucket: "bkt"}
	for _, tc := range []struct {
		change func(*s3.Config)
		err    string
	}{
		{func(c *s3.Config) { c.Endpoint = "" }, "no endpoint"},
		{func(c *s3.Config) { c.Endpoint = "http://127.0.0.1:9000" }, "without a scheme"},
		{func(c *s3.Config) { c.Bucket = "" }, "bucket"},
		{func(c *s3.Config) { c.Prefix = "/abs" }, "prefix"},
		{func(c *s3.Config) { c.PartSize = 1 << 20 }, "part size"},
		{func(c *s3.Config) { c.RetryBudget = -time.Second }, "retry budget"},
	} {
		cfg := ok
		tc.change(&cfg)
		if _, err := s3.New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("NewS3(%+v): %v; want an error containing %q", cfg, err, tc.err)
		}
	}
}
