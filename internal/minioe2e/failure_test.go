//go:build unix

package minioe2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/cirrusdb/cirrus/internal/miniotest"
	"github.com/cirrusdb/cirrus/internal/proctest"
)

// copyData is a COPY text stream of n rows that calls midway once, after
// half of the rows have been read by the client library.
type copyData struct {
	n, next int
	buf     []byte
	midway  func()
	once    sync.Once
}

func (d *copyData) Read(p []byte) (int, error) {
	for len(d.buf) == 0 {
		if d.next == d.n {
			return 0, io.EOF
		}
		if d.next == d.n/2 {
			d.once.Do(d.midway)
		}
		for i := 0; i < 1000 && d.next < d.n; i++ {
			d.buf = fmt.Appendf(d.buf, "%d\trow %d of a COPY that MinIO dies in the middle of\n", d.next, d.next)
			d.next++
		}
	}
	n := copy(p, d.buf)
	d.buf = d.buf[n:]
	return n, nil
}

// TestCopyWhileMinIODies kills MinIO in the middle of a COPY: the COPY
// fails with an error, the session goes on, and once MinIO is back the
// table holds all of the rows or none of them.
func TestCopyWhileMinIODies(t *testing.T) {
	m := miniotest.Start(t)
	c := startCluster(t, m, 2, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	conn := c.connect(ctx, 0)
	if _, err := conn.Exec(ctx, `CREATE TABLE events (id bigint, note text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO events VALUES (-1, 'before')`); err != nil {
		t.Fatal(err)
	}
	const n = 2_000_000
	data := &copyData{n: n, midway: func() {
		t.Logf("killing MinIO in the middle of the COPY")
		m.Kill()
	}}
	start := time.Now()
	tag, err := conn.PgConn().CopyFrom(ctx, data, `COPY events FROM STDIN`)
	t.Logf("COPY returned after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if err == nil {
		t.Fatalf("COPY succeeded (%s) with MinIO killed in the middle", tag)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("COPY: want a PostgreSQL error, got %v", err)
	}
	t.Logf("COPY error: %s %s", pe.Code, pe.Message)

	m.Restart(t)
	got := eventually(t, ctx, conn, `SELECT count(*), min(id) FROM events`)
	if got[0] != "1|-1" && got[0] != fmt.Sprintf("%d|-1", n+1) {
		t.Fatalf("after the failed COPY: %v, want all or none of the rows", got)
	}
	// The table is usable: a COPY after MinIO is back succeeds.
	data = &copyData{n: 1000, midway: func() {}}
	if _, err := conn.PgConn().CopyFrom(ctx, data, `COPY events FROM STDIN`); err != nil {
		t.Fatalf("COPY after MinIO is back: %v", err)
	}
	if got := mustRows(t, ctx, conn, `SELECT count(*) FROM events WHERE id BETWEEN 0 AND 999`); got[0] != "1000" && got[0] != "2000" {
		t.Fatalf("rows 0..999 after the second COPY: %v", got)
	}
}

// TestStoreMisconfigured starts roles with wrong credentials and with a
// missing bucket: each exits with a clear error within 10 s. Then a running
// cluster's bucket disappears: a query fails with a clear error within
// 10 s and the session goes on.
func TestStoreMisconfigured(t *testing.T) {
	m := miniotest.Start(t)
	m.CreateBucket(t, "present")
	bin := binary(t)
	g := proctest.NewGroup(t)
	addrs := proctest.FreeAddrs(t, 2)
	for _, tc := range []struct {
		name, bucket, key string
		want              string
	}{
		{"wrong credentials", "present", "nobody", "access denied"},
		{"missing bucket", "absent", m.AccessKey, "does not exist"},
	} {
		for _, role := range []string{"participant", "coordinator"} {
			args := []string{role, "--listen", addrs[0], "--data", t.TempDir(), "--storage", "s3://" + tc.bucket + "/x",
				"--s3-endpoint", m.Endpoint, "--s3-tls=false"}
			if role == "coordinator" {
				args = append(args, "--metad", addrs[1], "--participants", addrs[0])
			}
			start := time.Now()
			p := g.Start(role, []string{"AWS_ACCESS_KEY_ID=" + tc.key, "AWS_SECRET_ACCESS_KEY=" + m.SecretKey}, bin, args...)
			select {
			case <-p.Done():
			case <-time.After(10 * time.Second):
				t.Fatalf("%s with %s: still running after 10 s\n%s", role, tc.name, p.Output())
			}
			out := p.Output()
			if p.Err() == nil || !strings.Contains(out, tc.want) {
				t.Fatalf("%s with %s: exit %v, output %q; want an error saying %q", role, tc.name, p.Err(), out, tc.want)
			}
			t.Logf("%s with %s: exited after %v: %s", role, tc.name, time.Since(start).Round(time.Millisecond), strings.TrimSpace(out))
		}
	}

	// The bucket of a running cluster is removed.
	c := startCluster(t, m, 2, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn := c.connect(ctx, 0)
	if _, err := conn.Exec(ctx, `CREATE TABLE t (a bigint, b text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.PgConn().CopyFrom(ctx, &copyData{n: 1000, midway: func() {}}, `COPY t FROM STDIN`); err != nil {
		t.Fatal(err)
	}
	admin, err := minio.New(m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.RemoveBucketWithOptions(ctx, c.bucket, minio.RemoveBucketOptions{ForceDelete: true}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = rows(ctx, conn, `SELECT count(*), max(b) FROM t`)
	took := time.Since(start)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "58030" || !strings.Contains(pe.Message, "does not exist") || took > 10*time.Second {
		t.Fatalf("query on a removed bucket: %v after %v; want a clear error (58030) within 10 s", err, took)
	}
	t.Logf("query on a removed bucket: %s %s (after %v)", pe.Code, pe.Message, took.Round(time.Millisecond))
	if got := mustRows(t, ctx, conn, `SELECT 1`); got[0] != "1" {
		t.Fatalf("SELECT 1 after the failure: %v", got)
	}
}
