package metad

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Limits the embedded etcd is configured with. A catalog commit is one etcd
// transaction (all object puts/deletes, their name keys and the invalidation
// set), and splitting it would break atomicity, so the defaults (128 ops per
// transaction, 1.5 MiB per request) are raised. Each op list of a commit has
// at most 2 entries per catalog op plus a few (a 2,000-table CREATE is ~4,000
// compares and ~4,000 puts), so EmbeddedMaxTxnOps allows about 50,000 catalog
// ops per commit. An external etcd cluster must be started with at least
// --max-txn-ops and --max-request-bytes of the same size for big commits.
const (
	EmbeddedMaxTxnOps       = 100000
	EmbeddedMaxRequestBytes = 64 << 20
)

// EmbeddedEtcd is a single-member etcd running inside the process, serving
// clients on loopback.
type EmbeddedEtcd struct {
	e         *embed.Etcd
	endpoints []string
}

// StartEtcd starts a single-member etcd whose data lives under dir (created
// if needed; an existing member there is restarted with its data).
// clientAddr and peerAddr are host:port listen addresses; an empty address or
// port 0 picks a free loopback port. It returns once the member can serve
// requests, or an error if it cannot within ctx (and at most 30 s).
func StartEtcd(ctx context.Context, dir string, clientAddr, peerAddr string) (*EmbeddedEtcd, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("metad: etcd data dir: %w", err)
	}
	var lastErr error
	// A port picked free may be taken by someone else before etcd binds it;
	// retry a few times when we chose the ports.
	for attempt := 0; attempt < 5; attempt++ {
		cu, cPicked, err := listenURL(clientAddr)
		if err != nil {
			return nil, err
		}
		pu, pPicked, err := listenURL(peerAddr)
		if err != nil {
			return nil, err
		}
		ee, err := startEtcd(ctx, dir, cu, pu)
		if err == nil {
			return ee, nil
		}
		lastErr = err
		if (!cPicked && !pPicked) || ctx.Err() != nil || !isAddrInUse(err) {
			break
		}
	}
	return nil, lastErr
}

func isAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "address already in use")
}

// listenURL turns host:port into an http URL, choosing a free port when the
// port is 0 or missing. picked reports whether the port was chosen here.
func listenURL(addr string) (u url.URL, picked bool, err error) {
	host, port := "127.0.0.1", "0"
	if addr != "" {
		h, p, err := net.SplitHostPort(addr)
		if err != nil {
			return url.URL{}, false, fmt.Errorf("metad: etcd address %q: %w", addr, err)
		}
		if h != "" {
			host = h
		}
		if p != "" {
			port = p
		}
	}
	if port == "0" {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return url.URL{}, false, fmt.Errorf("metad: pick a free port on %s: %w", host, err)
		}
		_, port, _ = net.SplitHostPort(l.Addr().String())
		l.Close()
		picked = true
	}
	return url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}, picked, nil
}

func startEtcd(ctx context.Context, dir string, client, peer url.URL) (*EmbeddedEtcd, error) {
	cfg := embed.NewConfig()
	cfg.Name = "metad"
	cfg.Dir = filepath.Clean(dir)
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	cfg.ListenPeerUrls = []url.URL{peer}
	cfg.AdvertisePeerUrls = []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.InitialClusterToken = "cirrus-metad"
	cfg.LogLevel = "error"
	cfg.LogOutputs = []string{"stderr"}
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(quietLogger())
	cfg.EnableGRPCGateway = false
	cfg.Metrics = "basic"
	cfg.MaxTxnOps = EmbeddedMaxTxnOps
	cfg.MaxRequestBytes = EmbeddedMaxRequestBytes
	// A single member elects itself; short ticks make that quick.
	cfg.TickMs = 10
	cfg.ElectionMs = 100

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("metad: start embedded etcd in %s: %w", dir, err)
	}
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("metad: embedded etcd: %w", err)
	case <-wait.Done():
		e.Server.Stop()
		e.Close()
		return nil, fmt.Errorf("metad: embedded etcd in %s not ready: %w", dir, wait.Err())
	}
	eps := make([]string, 0, len(e.Clients))
	for _, l := range e.Clients {
		eps = append(eps, "http://"+l.Addr().String())
	}
	return &EmbeddedEtcd{e: e, endpoints: eps}, nil
}

// Endpoints returns the client URLs of the member.
func (ee *EmbeddedEtcd) Endpoints() []string { return append([]string(nil), ee.endpoints...) }

// Err reports a fatal error of the running member.
func (ee *EmbeddedEtcd) Err() <-chan error { return ee.e.Err() }

// Close stops the member. Its data stays in the directory.
func (ee *EmbeddedEtcd) Close() {
	ee.e.Close()
	<-ee.e.Server.StopNotify()
}

// quietLogger logs etcd's errors to stderr, without stack traces, except
// the ones a normal start and stop produce.
func quietLogger() *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(os.Stderr), zapcore.ErrorLevel)
	return zap.New(benignFilter{core})
}

// benignMessages are etcd error logs that are not errors for an embedded
// single member: serving loops reporting their listener closed on Close,
// and the storage-version monitor running before the first snapshot.
var benignMessages = map[string]bool{
	"setting up serving from embedded etcd failed.": true,
	"failed to update storage version":              true,
}

type benignFilter struct{ zapcore.Core }

func (f benignFilter) With(fields []zapcore.Field) zapcore.Core {
	return benignFilter{f.Core.With(fields)}
}

func (f benignFilter) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if benignMessages[e.Message] {
		return ce
	}
	if f.Enabled(e.Level) {
		return ce.AddCore(e, f)
	}
	return ce
}
