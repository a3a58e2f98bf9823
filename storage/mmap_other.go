//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package storage

import "os"

// openFileReader reads f with pread where mmap is not available.
func openFileReader(f *os.File, size int64) (ObjectReader, error) {
	return &fileReader{File: f, size: size}, nil
}

type fileReader struct {
	*os.File
	size int64
}

func (r *fileReader) Size() int64 { return r.size }
