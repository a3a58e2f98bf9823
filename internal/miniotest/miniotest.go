// Package miniotest runs private MinIO servers for tests.
//
// Start gives a test its own server, which it may Kill, Stop and Restart;
// Shared gives every test of a package one server, stopped when the test
// binary ends, which needs the package's TestMain to call Main:
//
//	func TestMain(m *testing.M) { miniotest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		srv := miniotest.Shared(t)
//		bucket := srv.NewBucket(t)
//		store, err := s3.New(ctx, srv.S3Config(bucket, ""))
//		...
//	}
//
// The server binary is $MINIO_BIN, else minio in `go env GOBIN` or
// `go env GOPATH`/bin, else minio on PATH (scripts/ensure-minio.sh installs
// it). When none is found the test is skipped, unless the environment
// variable CI is "true", in which case it fails.
//
// A server listens on a free loopback port, keeps its data in a temporary
// directory and runs with fixed test credentials. It is only ever stopped
// through its own process (SIGTERM, then SIGKILL), and gets SIGKILL if the
// test binary dies first.
package miniotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/cirrusdb/cirrus/internal/proctest"
	"github.com/cirrusdb/cirrus/storage/s3"
)

// The credentials of every test server (MinIO wants a secret of at least
// eight characters).
const (
	AccessKey = "cirrus-test"
	SecretKey = "cirrus-test-secret"
)

// ErrNotInstalled is returned (wrapped) when no MinIO server binary can be
// found.
var ErrNotInstalled = errors.New("miniotest: MinIO server binary not found; run scripts/ensure-minio.sh or set MINIO_BIN")

// Binary returns the path of the MinIO server binary: $MINIO_BIN, else
// minio in `go env GOBIN` or in `go env GOPATH`/bin, else minio on PATH.
func Binary() (string, error) {
	if bin := os.Getenv("MINIO_BIN"); bin != "" {
		if !isExecutable(bin) {
			return "", fmt.Errorf("%w: MINIO_BIN=%s is not an executable file", ErrNotInstalled, bin)
		}
		return bin, nil
	}
	for _, dir := range goBinDirs() {
		if bin := filepath.Join(dir, "minio"); isExecutable(bin) {
			return bin, nil
		}
	}
	if bin, err := exec.LookPath("minio"); err == nil {
		return bin, nil
	}
	return "", ErrNotInstalled
}

// goBinDirs returns the directories `go install` puts binaries in.
func goBinDirs() []string {
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var dirs []string
	if len(lines) > 0 && lines[0] != "" {
		dirs = append(dirs, lines[0])
	}
	if len(lines) > 1 {
		for _, p := range filepath.SplitList(lines[1]) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	return dirs
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// Server is a running private MinIO server.
type Server struct {
	// Endpoint is the S3 API's host:port.
	Endpoint string
	// AccessKey and SecretKey are the root credentials.
	AccessKey, SecretKey string
	// Dir is the server's data directory.
	Dir string

	bin     string
	logPath string
	port    int
	console int

	mu     sync.Mutex // guards cmd and exited against concurrent Stop/Kill
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start starts a private MinIO server for t and stops it in t.Cleanup. It
// skips t when the binary is missing, or fails it when the environment
// variable CI is "true".
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := New(t.TempDir())
	if err != nil {
		skipOrFail(t, err)
	}
	t.Cleanup(s.Stop)
	return s
}

func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skipf("%v (skipping; this would fail with CI=true)", err)
	}
	t.Fatalf("%v", err)
}

// New starts a server keeping its data and log under dir, which must
// exist. The caller must Stop it. Most tests want Start or Shared instead.
func New(dir string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	s := &Server{
		AccessKey: AccessKey,
		SecretKey: SecretKey,
		Dir:       filepath.Join(dir, "data"),
		bin:       bin,
		logPath:   filepath.Join(dir, "minio.log"),
	}
	// Another process may take a free port before the server binds it.
	for range 5 {
		if s.port, err = freePort(); err != nil {
			return nil, err
		}
		if s.console, err = freePort(); err != nil {
			return nil, err
		}
		s.Endpoint = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if err = s.start(); !errors.Is(err, errPortInUse) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

var errPortInUse = errors.New("miniotest: port in use")

func freePort() (int, error) {
	port, err := proctest.FreePort()
	if err != nil {
		return 0, fmt.Errorf("miniotest: finding a free port: %w", err)
	}
	return port, nil
}

// start runs the server on s.port and waits until it is ready.
func (s *Server) start() error {
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("miniotest: %w", err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "--- miniotest: starting MinIO on %s\n", s.Endpoint)
	cmd := exec.Command(s.bin, "server", s.Dir,
		"--address", s.Endpoint,
		"--console-address", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.console)),
		"--quiet")
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Own process group, so a ^C to the test does not reach the server
		// before the test's cleanup does.
		Setpgid: true,
		// Kill the server if the test binary dies.
		Pdeathsig: syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("miniotest: starting %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			log := s.logTail()
			if strings.Contains(strings.ToLower(log), "already in use") {
				return fmt.Errorf("%w: %s", errPortInUse, s.Endpoint)
			}
			return fmt.Errorf("miniotest: MinIO exited during startup (%v); log:\n%s", cmd.ProcessState, log)
		default:
		}
		if resp, err := client.Get("http://" + s.Endpoint + "/minio/health/live"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("miniotest: MinIO not ready after 30s; log:\n%s", s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Log returns the end of the server's output, for failure messages.
func (s *Server) Log() string { return s.logTail() }

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(bytes.TrimSpace(b))
}

// Kill kills the server with SIGKILL, as a crash would, and waits for it
// to exit.
func (s *Server) Kill() { s.signal(syscall.SIGKILL, 0) }

// Stop stops the server with SIGTERM (SIGKILL if it has not exited after
// 10 s) and waits for it to exit. Stopping a stopped server does nothing.
func (s *Server) Stop() { s.signal(syscall.SIGTERM, 10*time.Second) }

// signal sends sig to the server and waits for it to exit; after grace
// (if non-zero) it sends SIGKILL.
func (s *Server) signal(sig syscall.Signal, grace time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	if grace > 0 {
		select {
		case <-s.exited:
		case <-time.After(grace):
			_ = s.cmd.Process.Kill()
		}
	}
	<-s.exited
	s.cmd, s.exited = nil, nil
}

// Restart starts the stopped or killed server again on the same address
// and data directory, and waits until it is ready.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop() // in case it is still running
	var err error
	// The port may be briefly unavailable after the old process died.
	for range 10 {
		if err = s.start(); !errors.Is(err, errPortInUse) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("miniotest: restarting: %v", err)
	}
}

// S3Config returns the storage configuration of a store on bucket, under
// prefix.
func (s *Server) S3Config(bucket, prefix string) s3.Config {
	return s3.Config{
		Endpoint:  s.Endpoint,
		Bucket:    bucket,
		Prefix:    prefix,
		AccessKey: s.AccessKey,
		SecretKey: s.SecretKey,
	}
}

// Client returns a minio-go client of the server with the root
// credentials, to set up or inspect buckets directly.
func (s *Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, "")})
	if err != nil {
		t.Fatalf("miniotest: %v", err)
	}
	return c
}

// CreateBucket creates bucket name, failing t if it cannot.
func (s *Server) CreateBucket(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Client(t).MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("miniotest: creating bucket %q: %v", name, err)
	}
}

var bucketSeq atomic.Int64

// NewBucket creates a bucket with a name no other test of the process uses
// and returns its name.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("test-%d-%d", os.Getpid(), bucketSeq.Add(1))
	s.CreateBucket(t, name)
	return name
}

var (
	sharedMu     sync.Mutex
	sharedSrv    *Server
	sharedDir    string
	sharedErr    error
	sharedInMain bool
)

// Main runs the tests of a package and then stops the server handed out by
// Shared, if any. Call it from TestMain:
//
//	func TestMain(m *testing.M) { miniotest.Main(m) }
func Main(m *testing.M) {
	sharedMu.Lock()
	sharedInMain = true
	sharedMu.Unlock()
	code := m.Run()
	StopShared()
	os.Exit(code)
}

// Shared returns the server shared by all tests of the test binary,
// starting it on first use. The package's TestMain must call Main; Shared
// fails the test otherwise. Tests should use their own buckets (NewBucket)
// and must not stop the shared server.
func Shared(t testing.TB) *Server {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if !sharedInMain {
		t.Fatalf("miniotest.Shared needs the package's TestMain to call miniotest.Main(m); use miniotest.Start for a per-test server")
	}
	if sharedSrv == nil && sharedErr == nil {
		sharedDir, sharedErr = os.MkdirTemp("", "miniotest-")
		if sharedErr == nil {
			sharedSrv, sharedErr = New(sharedDir)
		}
	}
	if sharedErr != nil {
		skipOrFail(t, sharedErr)
	}
	return sharedSrv
}

// StopShared stops the server started by Shared, if any, and removes its
// directory.
func StopShared() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if sharedSrv != nil {
		sharedSrv.Stop()
	}
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
	sharedSrv, sharedDir, sharedErr = nil, "", nil
}
