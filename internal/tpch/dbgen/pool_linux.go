//go:build linux

package dbgen

import "syscall"

// allocPool allocates the text pool outside the Go heap and asks for
// transparent huge pages: comments are cut from random places of the pool,
// and with 4 KiB pages nearly every cut is a TLB miss.
func allocPool(n int) ([]byte, func()) {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]byte, n), func() {}
	}
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE)
	return b, func() { syscall.Munmap(b) }
}
