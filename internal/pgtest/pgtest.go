// Package pgtest runs private PostgreSQL 15 servers for tests.
//
// Start gives a test its own server; Shared gives every test of a package
// one server that is reused and stopped when the test binary ends, which
// needs the package's TestMain to call Main:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		srv := pgtest.Shared(t)
//		srv.CreateDB(t, "something")
//		conn := srv.Connect(t, "something")
//		...
//	}
//
// The server binaries are looked up in $CIRRUS_PG_BINDIR, then
// /usr/lib/postgresql/15/bin, then `pg_config --bindir` (which must be a
// version 15 installation). When none is found the test is skipped, unless
// the environment variable CI is "true", in which case it fails.
//
// Servers are configured for speed and for byte-for-byte reproducible output:
// fsync=off, C locale (bytewise string order), UTF8, TimeZone=UTC,
// DateStyle='ISO, MDY', lc_messages=C, no parallel query, trust
// authentication on 127.0.0.1 and on a Unix socket in the server's own
// temporary directory. initdb and postgres refuse to run as root, so when the
// tests run as root the server runs as user "nobody" (or, failing that, a
// dedicated user "cirrus-pgtest" that is created with useradd).
//
// A server is only ever stopped through its own process: SIGINT (fast
// shutdown) to the postmaster pid this package started, then SIGQUIT and
// SIGKILL if it does not exit. If the test binary dies without cleaning up,
// the postmaster receives SIGQUIT through the parent-death signal.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Version is the PostgreSQL major version pgtest runs.
const Version = 15

// SuperUser is the name of the bootstrap superuser of every server.
const SuperUser = "postgres"

// Server is a running private PostgreSQL server.
type Server struct {
	binDir  string
	baseDir string // owned by the server's user; removed on Stop
	dataDir string
	logPath string
	port    int
	cred    *syscall.Credential

	cmd    *exec.Cmd
	exited chan struct{}

	stopOnce sync.Once
	stopErr  error

	adminMu   sync.Mutex
	adminConn *pgx.Conn
}

// ErrNotInstalled is returned (wrapped) by New when no PostgreSQL 15 server
// binaries can be found.
var ErrNotInstalled = errors.New("pgtest: PostgreSQL 15 server binaries (initdb, postgres) not found; install postgresql-15 or set CIRRUS_PG_BINDIR")

// Start starts a private PostgreSQL 15 server for t and stops it in
// t.Cleanup. It skips t when the binaries are missing, or fails it when the
// environment variable CI is "true".
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := New()
	if err != nil {
		skipOrFail(t, err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("pgtest: stopping server: %v", err)
		}
	})
	return s
}

func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skipf("%v (skipping; this would fail with CI=true)", err)
	}
	t.Fatalf("%v", err)
}

var (
	sharedMu     sync.Mutex
	sharedSrv    *Server
	sharedErr    error
	sharedInMain bool
)

// Main runs the tests of a package and then stops the server handed out by
// Shared, if any. Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	sharedMu.Lock()
	sharedInMain = true
	sharedMu.Unlock()
	code := m.Run()
	if err := StopShared(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: stopping shared server: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Shared returns the server shared by all tests of the test binary, starting
// it on first use. The package's TestMain must call Main (or StopShared after
// m.Run) so that the server is stopped; Shared fails the test otherwise.
// Tests should give each database a unique name (CreateDB).
func Shared(t testing.TB) *Server {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if !sharedInMain {
		t.Fatalf("pgtest.Shared needs the package's TestMain to call pgtest.Main(m); use pgtest.Start for a per-test server")
	}
	if sharedSrv == nil && sharedErr == nil {
		sharedSrv, sharedErr = New()
	}
	if sharedErr != nil {
		skipOrFail(t, sharedErr)
	}
	return sharedSrv
}

// StopShared stops the server started by Shared, if any. Main calls it; a
// hand-written TestMain may call it after m.Run instead of using Main (it
// must then also have called EnableShared before m.Run).
func StopShared() error {
	sharedMu.Lock()
	s := sharedSrv
	sharedSrv, sharedErr = nil, nil
	sharedMu.Unlock()
	if s == nil {
		return nil
	}
	return s.Stop()
}

// EnableShared allows Shared to be used in a TestMain that does not call
// Main; that TestMain must call StopShared after m.Run.
func EnableShared() {
	sharedMu.Lock()
	sharedInMain = true
	sharedMu.Unlock()
}

// New starts a server that the caller must Stop. Most tests want Start or
// Shared instead.
func New() (*Server, error) {
	binDir, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	base, err := makeBaseDir()
	if err != nil {
		return nil, err
	}
	s := &Server{
		binDir:  binDir,
		baseDir: base,
		dataDir: filepath.Join(base, "data"),
		logPath: filepath.Join(base, "postgres.log"),
		cred:    cred,
	}
	if cred != nil {
		if err := os.Chown(base, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(base)
			return nil, fmt.Errorf("pgtest: chown %s: %w", base, err)
		}
	}
	if err := s.initdb(); err != nil {
		os.RemoveAll(base)
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		lastErr = s.start()
		if lastErr == nil {
			return s, nil
		}
		if !errors.Is(lastErr, errPortInUse) {
			break
		}
	}
	os.RemoveAll(base)
	return nil, lastErr
}

var (
	binDirOnce sync.Once
	binDirPath string
	binDirErr  error
)

// FindBinDir returns the directory holding the PostgreSQL 15 server
// binaries, or an error wrapping ErrNotInstalled.
func FindBinDir() (string, error) {
	binDirOnce.Do(func() { binDirPath, binDirErr = findBinDir() })
	return binDirPath, binDirErr
}

func findBinDir() (string, error) {
	var candidates []string
	if d := os.Getenv("CIRRUS_PG_BINDIR"); d != "" {
		candidates = append(candidates, d)
	}
	candidates = append(candidates, fmt.Sprintf("/usr/lib/postgresql/%d/bin", Version))
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	var tried []string
	for _, d := range candidates {
		if d == "" {
			continue
		}
		tried = append(tried, d)
		if !isExecutable(filepath.Join(d, "initdb")) || !isExecutable(filepath.Join(d, "postgres")) {
			continue
		}
		out, err := exec.Command(filepath.Join(d, "postgres"), "--version").Output()
		if err != nil {
			continue
		}
		if major(string(out)) == Version {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w (looked in %s)", ErrNotInstalled, strings.Join(tried, ", "))
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

func major(versionOutput string) int {
	m := versionRE.FindStringSubmatch(versionOutput)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

var (
	credOnce sync.Once
	credVal  *syscall.Credential
	credErr  error
)

// serverCredential returns the credential to run initdb and postgres with:
// nil when not running as root, else that of "nobody" (or of a dedicated
// user created for the purpose).
func serverCredential() (*syscall.Credential, error) {
	credOnce.Do(func() {
		if os.Getuid() != 0 {
			return
		}
		u, err := user.Lookup("nobody")
		if err != nil {
			u, err = user.Lookup("cirrus-pgtest")
		}
		if err != nil {
			out, uerr := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "cirrus-pgtest").CombinedOutput()
			if uerr != nil {
				credErr = fmt.Errorf("pgtest: running as root and no unprivileged user for PostgreSQL: useradd: %v: %s", uerr, out)
				return
			}
			u, err = user.Lookup("cirrus-pgtest")
		}
		if err != nil {
			credErr = fmt.Errorf("pgtest: looking up unprivileged user: %w", err)
			return
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		credVal = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	})
	return credVal, credErr
}

// makeBaseDir makes a fresh directory, mode 0755, whose ancestors can all be
// traversed by other users (so that the unprivileged server user reaches it)
// and whose path is short enough for a Unix socket name.
func makeBaseDir() (string, error) {
	roots := []string{os.TempDir(), "/tmp"}
	var lastErr error
	for _, root := range roots {
		if len(root) > 60 || !traversable(root) {
			continue
		}
		d, err := os.MkdirTemp(root, "cirrus-pgtest-")
		if err != nil {
			lastErr = err
			continue
		}
		if err := os.Chmod(d, 0o755); err != nil {
			os.RemoveAll(d)
			lastErr = err
			continue
		}
		return d, nil
	}
	if lastErr == nil {
		lastErr = errors.New("no temporary directory that other users can traverse")
	}
	return "", fmt.Errorf("pgtest: making server directory: %w", lastErr)
}

func traversable(dir string) bool {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for {
		st, err := os.Stat(dir)
		if err != nil || !st.IsDir() {
			return false
		}
		if os.Getuid() == 0 && st.Mode().Perm()&0o001 == 0 {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return true
		}
		dir = parent
	}
}

func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.binDir, name), args...)
	cmd.Dir = s.baseDir
	cmd.Env = []string{
		"PATH=" + s.binDir + ":/usr/bin:/bin",
		"HOME=" + s.baseDir,
		"LC_ALL=C",
		"LANG=C",
		"TZ=UTC",
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: s.cred,
		// Own process group, so a ^C to the test does not reach the server
		// before the test's cleanup does.
		Setpgid: true,
		// Immediate shutdown of the server if the test binary dies.
		Pdeathsig: syscall.SIGQUIT,
	}
	return cmd
}

func (s *Server) initdb() error {
	cmd := s.command("initdb",
		"-D", s.dataDir,
		"-U", SuperUser,
		"--auth=trust",
		"--encoding=UTF8",
		"--locale=C",
		"--no-sync",
		"--no-instructions",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgtest: initdb: %v\n%s", err, out.String())
	}
	conf := fmt.Sprintf(`
# pgtest settings
listen_addresses = '127.0.0.1'
unix_socket_directories = '%s'
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
shared_buffers = 128MB
max_connections = 50
max_parallel_workers_per_gather = 0
autovacuum = off
TimeZone = 'UTC'
log_timezone = 'UTC'
datestyle = 'iso, mdy'
lc_messages = 'C'
lc_monetary = 'C'
lc_numeric = 'C'
lc_time = 'C'
default_text_search_config = 'pg_catalog.english'
logging_collector = off
log_min_messages = warning
`, s.baseDir)
	f, err := os.OpenFile(filepath.Join(s.dataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pgtest: writing postgresql.conf: %w", err)
	}
	return nil
}

var errPortInUse = errors.New("pgtest: port in use")

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) start() error {
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("pgtest: finding a free port: %w", err)
	}
	s.port = port
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer logf.Close()
	cmd := s.command("postgres", "-D", s.dataDir, "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: starting postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			log := s.logTail()
			if strings.Contains(log, "Address already in use") {
				return fmt.Errorf("%w: %d", errPortInUse, port)
			}
			return fmt.Errorf("pgtest: postgres exited during startup (%v); log:\n%s", cmd.ProcessState, log)
		default:
		}
		if s.ping() == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("pgtest: postgres not ready after 30s; log:\n%s", s.logTail())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Server) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

func (s *Server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	for _, sig := range []syscall.Signal{syscall.SIGQUIT, syscall.SIGKILL} {
		_ = s.cmd.Process.Signal(sig)
		select {
		case <-s.exited:
			return
		case <-time.After(5 * time.Second):
		}
	}
}

// Stop shuts the server down (fast shutdown of its own postmaster) and
// removes its files. It is safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.adminMu.Lock()
		if s.adminConn != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = s.adminConn.Close(ctx)
			cancel()
			s.adminConn = nil
		}
		s.adminMu.Unlock()
		if s.cmd != nil && s.cmd.Process != nil {
			select {
			case <-s.exited:
			default:
				_ = s.cmd.Process.Signal(syscall.SIGINT)
				select {
				case <-s.exited:
				case <-time.After(15 * time.Second):
					s.stopErr = errors.New("pgtest: postgres did not stop within 15s of SIGINT; killed it")
					s.kill()
				}
			}
		}
		if err := os.RemoveAll(s.baseDir); err != nil && s.stopErr == nil {
			s.stopErr = err
		}
	})
	return s.stopErr
}

// Port returns the TCP port the server listens on at 127.0.0.1.
func (s *Server) Port() int { return s.port }

// Host returns the address the server listens on, "127.0.0.1".
func (s *Server) Host() string { return "127.0.0.1" }

// SocketDir returns the directory holding the server's Unix socket.
func (s *Server) SocketDir() string { return s.baseDir }

// LogFile returns the path of the server's log.
func (s *Server) LogFile() string { return s.logPath }

// DSN returns a connection URL for database db as the superuser.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", SuperUser, s.port, db)
}

func (s *Server) admin(ctx context.Context, sql string) error {
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	if s.adminConn == nil || s.adminConn.IsClosed() {
		c, err := pgx.Connect(ctx, s.DSN("postgres"))
		if err != nil {
			return err
		}
		s.adminConn = c
	}
	_, err := s.adminConn.Exec(ctx, sql)
	return err
}

// CreateDB creates database name (a fresh copy of template0, UTF8, C
// locale), failing t on error.
func (s *Server) CreateDB(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.admin(ctx, "CREATE DATABASE "+QuoteIdent(name)+" TEMPLATE template0 STRATEGY = FILE_COPY"); err != nil {
		t.Fatalf("pgtest: creating database %q: %v", name, err)
	}
}

// DropDB drops database name if it exists, terminating its sessions.
func (s *Server) DropDB(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.admin(ctx, "DROP DATABASE IF EXISTS "+QuoteIdent(name)+" WITH (FORCE)"); err != nil {
		t.Fatalf("pgtest: dropping database %q: %v", name, err)
	}
}

// Connect opens a connection to database db, closed in t.Cleanup.
func (s *Server) Connect(t testing.TB, db string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.DSN(db))
	if err != nil {
		t.Fatalf("pgtest: connecting to %q: %v", db, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	})
	return c
}

// QuoteIdent quotes a SQL identifier.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
