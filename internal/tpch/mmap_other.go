//go:build !unix

package tpch

// mapFile reads a file into memory.
func mapFile(path string) ([]byte, func() error, error) { return readFile(path) }
