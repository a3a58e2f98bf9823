//go:build unix

// Package proctest runs Cirrus roles (and other servers) as separate OS
// processes for tests: it builds cmd/cirrus, starts processes with their
// output kept for failure messages, stops, kills and restarts them by pid,
// and finds free loopback addresses.
package proctest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer collects a process's output from the goroutines exec starts.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Proc is one process.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // its Wait error, valid after done
}

// Output returns what the process has written to stdout and stderr.
func (p *Proc) Output() string { return p.out.String() }

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is the process's exit error; valid after Done.
func (p *Proc) Err() error { return p.err }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the process by its pid (nothing if it has exited).
func (p *Proc) Signal(sig syscall.Signal) {
	if p.Exited() {
		return
	}
	_ = syscall.Kill(p.Cmd.Process.Pid, sig)
}

// Stop asks the process to exit (SIGINT) and kills it (SIGKILL) if it has
// not within grace.
func (p *Proc) Stop(grace time.Duration) {
	p.Signal(syscall.SIGINT)
	select {
	case <-p.done:
		return
	case <-time.After(grace):
	}
	p.Signal(syscall.SIGKILL)
	<-p.done
}

// Kill kills the process (SIGKILL) and waits for it to exit.
func (p *Proc) Kill() {
	p.Signal(syscall.SIGKILL)
	<-p.done
}

// Group starts processes and stops all of them, by pid, in reverse order
// of starting, when the test ends; on failure it logs their output.
type Group struct {
	t     testing.TB
	mu    sync.Mutex
	procs []*Proc
}

// NewGroup returns an empty group bound to t.
func NewGroup(t testing.TB) *Group {
	g := &Group{t: t}
	t.Cleanup(func() {
		g.mu.Lock()
		procs := append([]*Proc(nil), g.procs...)
		g.mu.Unlock()
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].Stop(5 * time.Second)
		}
		if t.Failed() {
			for _, p := range procs {
				t.Logf("---- %s (pid %d, exit: %v) output:\n%s", p.Name, p.Cmd.Process.Pid, p.err, p.Output())
			}
		}
	})
	return g
}

// Start starts bin with args (and env added to the test's environment).
func (g *Group) Start(name string, env []string, bin string, args ...string) *Proc {
	g.t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		g.t.Fatalf("start %s: %v", name, err)
	}
	p := &Proc{Name: name, Cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	g.mu.Lock()
	g.procs = append(g.procs, p)
	g.mu.Unlock()
	return p
}

// WaitListening waits until addr accepts connections, failing the test if
// p exits first or deadline passes.
func WaitListening(t testing.TB, p *Proc, addr string, deadline time.Time) {
	t.Helper()
	for {
		conn, err := net.DialTimeout("tcp", addr, 250*time.Millisecond)
		if err == nil {
			conn.Close()
			return
		}
		if p.Exited() {
			t.Fatalf("%s exited before listening on %s: %v\n%s", p.Name, addr, p.err, p.Output())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not listening on %s in time: %v", p.Name, addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// FreeAddrs returns n distinct loopback addresses with ports that were free
// a moment ago (all held open together, then released), chosen as
// FreePort chooses them.
func FreeAddrs(t testing.TB, n int) []string {
	t.Helper()
	var ls []net.Listener
	var out []string
	for len(out) < n {
		l, err := freeListener()
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// FreePort returns a loopback port that was free a moment ago. It lies
// below the kernel's ephemeral range, where the kernel never puts the
// local end of a connection: a server restarted on the same port (tests
// stop and start roles, etcd and MinIO on fixed addresses) cannot find it
// taken in between by some client connection, as a port the kernel chose
// (":0") can.
func FreePort() (int, error) {
	l, err := freeListener()
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// freeListener listens on a random loopback port outside the ephemeral
// range, or on one the kernel chooses when there is no room there.
func freeListener() (net.Listener, error) {
	lo, hi := listenPortRange()
	for tries := 0; hi > lo && tries < 1000; tries++ {
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", lo+rand.IntN(hi-lo))); err == nil {
			return l, nil
		}
	}
	return net.Listen("tcp", "127.0.0.1:0")
}

// listenPortRange is a range of ports outside the kernel's ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range; 32768–60999 by default).
func listenPortRange() (lo, hi int) {
	var first, last int
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		_, err = fmt.Sscan(string(b), &first, &last)
	}
	switch {
	case err != nil:
		return 20000, 32768
	case first >= 12000:
		return 10000, first
	case last <= 55000:
		return last + 1, 65536
	default: // no room outside it: let the kernel choose
		return 0, 0
	}
}

// ModuleRoot returns the repository root: the nearest directory above the
// working directory (a package directory, under go test) with a go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// BuildCirrus builds cmd/cirrus into dir and returns the binary's path.
func BuildCirrus(t testing.TB, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(dir, "cirrus")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/cirrus")
	cmd.Dir = ModuleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/cirrus: %v\n%s", err, out)
	}
	return bin
}

// String describes the process for messages.
func (p *Proc) String() string { return fmt.Sprintf("%s (pid %d)", p.Name, p.Cmd.Process.Pid) }
