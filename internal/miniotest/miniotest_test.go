package miniotest

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestBinaryFromEnv(t *testing.T) {
	t.Setenv("MINIO_BIN", filepath.Join(t.TempDir(), "missing"))
	if _, err := Binary(); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("Binary with a missing MINIO_BIN: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "minio")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MINIO_BIN", bin)
	if got, err := Binary(); got != bin || err != nil {
		t.Fatalf("Binary = %q, %v; want %q", got, err, bin)
	}
}

// live reports whether the server answers its liveness check.
func live(s *Server) bool {
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + s.Endpoint + "/minio/health/live")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func TestKillRestartStop(t *testing.T) {
	s := Start(t)
	s.CreateBucket(t, "keep")
	ctx := context.Background()
	if !live(s) {
		t.Fatal("server not live after Start")
	}

	start := time.Now()
	s.Kill()
	t.Logf("Kill took %v", time.Since(start))
	if live(s) {
		t.Fatal("server live after Kill")
	}

	endpoint := s.Endpoint
	start = time.Now()
	s.Restart(t)
	t.Logf("Restart took %v", time.Since(start))
	if s.Endpoint != endpoint || !live(s) {
		t.Fatalf("after Restart: endpoint %s (was %s), live %v", s.Endpoint, endpoint, live(s))
	}
	// The data directory survived: the bucket is still there.
	if ok, err := s.Client(t).BucketExists(ctx, "keep"); !ok || err != nil {
		t.Fatalf("bucket after Kill and Restart: %v, %v", ok, err)
	}

	start = time.Now()
	s.Stop()
	t.Logf("Stop took %v", time.Since(start))
	if live(s) {
		t.Fatal("server live after Stop")
	}
	s.Stop() // stopping a stopped server does nothing
}
