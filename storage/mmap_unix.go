//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package storage

import (
	"io"
	"os"
	"syscall"
)

// openFileReader maps f into memory and closes it; the mapping outlives the
// file descriptor and any later unlink of the file.
func openFileReader(f *os.File, size int64) (ObjectReader, error) {
	defer f.Close()
	if size == 0 {
		return &mmapReader{}, nil
	}
	if int64(int(size)) != size {
		return nil, syscall.EFBIG
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, &os.PathError{Op: "mmap", Path: f.Name(), Err: err}
	}
	return &mmapReader{data: data}, nil
}

// mmapReader reads a memory-mapped object. Objects are immutable, so the
// mapping never changes under a reader.
type mmapReader struct {
	data []byte
}

func (r *mmapReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, os.ErrInvalid
	}
	if off >= int64(len(r.data)) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := copy(p, r.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *mmapReader) Size() int64 { return int64(len(r.data)) }

func (r *mmapReader) Close() error {
	if r.data == nil {
		return nil
	}
	data := r.data
	r.data = nil
	return syscall.Munmap(data)
}
