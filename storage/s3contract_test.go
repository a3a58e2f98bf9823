package storage_test

import (
	"context"
	"testing"

	"github.com/cirrusdb/cirrus/internal/miniotest"
	"github.com/cirrusdb/cirrus/storage"
	"github.com/cirrusdb/cirrus/storage/s3"
)

func TestMain(m *testing.M) { miniotest.Main(m) }

// The contract tests of store_test.go run on S3 too (storage/s3, on a real
// MinIO server), each in a fresh bucket of the shared server.
func init() {
	storage.NewS3TestStore = func(t *testing.T) storage.ObjectStore {
		srv := miniotest.Shared(t)
		s, err := s3.New(context.Background(), srv.S3Config(srv.NewBucket(t), ""))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}
