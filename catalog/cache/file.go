package cache

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cirrusdb/cirrus/catalog"
)

// The relcache file holds a snapshot's objects and its seq, so that a
// starting node can install it and catch up from its seq instead of reading
// the whole catalog. Layout (fixed integers little-endian):
//
//	magic    8 bytes  "CIRRELC2" (2: column types carry an array element kind)
//	version  uint32   fileVersion; any other value makes the file unusable
//	flags    uint32   0
//	seq      int64    every invalidation set <= seq is reflected
//	readRev  int64    newest revision any object was read at (see Hash)
//	count    uint32   number of objects
//	count ×  object, in the binary form of codec.go (versions kept)
//	crc      uint32   CRC-32C of everything before it
//
// Objects are stored in a compact binary form rather than their JSON
// (Encode), which is several times slower to decode; codec_test.go fails
// when a field is added to the catalog types without being added to the
// codec (and fileVersion bumped).
//
// Files are replaced atomically: written to a temporary file in the same
// directory, fsynced, renamed over the old one, and the directory fsynced.
const (
	fileMagic   = "CIRRELC2"
	fileVersion = 3
	headerSize  = 8 + 4 + 4 + 8 + 8 + 4
)

// ErrInvalidFile is wrapped by LoadFile's error for a file that exists but
// cannot be used (truncated, bad checksum, another format version): the
// node should log it and Load from metad.
var ErrInvalidFile = errors.New("catalog cache: invalid relcache file")

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// saveFileHook, when set by tests, runs after the temporary file is written
// and before SaveFile decides whether to install it.
var saveFileHook func()

// SaveFile writes the current snapshot and its seq to path. It does not
// install a file whose snapshot was superseded while it was being written
// (an invalidation set with messages, a reload or a file load was installed
// meanwhile; heartbeats do not count): it removes the temporary file and
// returns saved == false, and the caller may try again later. Nothing is
// saved before the cache has loaded.
func (c *Cache) SaveFile(path string) (saved bool, err error) {
	s := c.cur.Load()
	if !s.loaded {
		return false, nil
	}
	objs := s.cat.Objects()
	buf := make([]byte, 0, headerSize+4+len(objs)*256)
	buf = append(buf, fileMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, fileVersion)
	buf = binary.LittleEndian.AppendUint32(buf, 0)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(s.seq))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(s.readRev))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(objs)))
	for _, o := range objs {
		buf = appendObject(buf, o)
	}
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, crcTable))

	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, fmt.Errorf("catalog cache: save relcache file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if !saved {
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return false, fmt.Errorf("catalog cache: save relcache file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return false, fmt.Errorf("catalog cache: save relcache file: %w", err)
	}
	if err := f.Close(); err != nil {
		return false, fmt.Errorf("catalog cache: save relcache file: %w", err)
	}
	if saveFileHook != nil {
		saveFileHook()
	}
	// Check and rename while no new state can be published.
	c.pmu.Lock()
	if c.cur.Load().gen != s.gen {
		c.pmu.Unlock()
		c.n.fileSkips.Add(1)
		return false, nil
	}
	err = os.Rename(tmp, path)
	c.pmu.Unlock()
	if err != nil {
		return false, fmt.Errorf("catalog cache: save relcache file: %w", err)
	}
	saved = true
	if err := syncDir(dir); err != nil {
		return true, fmt.Errorf("catalog cache: save relcache file: %w", err)
	}
	c.n.fileSaves.Add(1)
	return true, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// FileSeq returns the seq of the relcache file at path, reading only its
// header; ok is false when there is no file or the header is not one this
// version writes. Step 1 of the start order (see the package comment).
func FileSeq(path string) (seq int64, ok bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	var h [headerSize]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return 0, false, nil
	}
	hdr, herr := parseHeader(h[:])
	if herr != nil {
		return 0, false, nil
	}
	return hdr.seq, true, nil
}

type fileHeader struct {
	seq, readRev int64
	count        int
}

func parseHeader(b []byte) (fileHeader, error) {
	if len(b) < headerSize || string(b[:8]) != fileMagic {
		return fileHeader{}, fmt.Errorf("%w: not a relcache file", ErrInvalidFile)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != fileVersion {
		return fileHeader{}, fmt.Errorf("%w: format version %d, this build reads %d", ErrInvalidFile, v, fileVersion)
	}
	return fileHeader{
		seq:     int64(binary.LittleEndian.Uint64(b[16:])),
		readRev: int64(binary.LittleEndian.Uint64(b[24:])),
		count:   int(binary.LittleEndian.Uint32(b[32:])),
	}, nil
}

func decodeFile(b []byte) (fileHeader, []*catalog.Object, error) {
	hdr, err := parseHeader(b)
	if err != nil {
		return hdr, nil, err
	}
	if len(b) < headerSize+4 {
		return hdr, nil, fmt.Errorf("%w: truncated", ErrInvalidFile)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, crcTable) != sum {
		return hdr, nil, fmt.Errorf("%w: checksum mismatch", ErrInvalidFile)
	}
	if hdr.count > len(body)-headerSize {
		return hdr, nil, fmt.Errorf("%w: %d objects cannot fit in %d bytes", ErrInvalidFile, hdr.count, len(body))
	}
	d := decoder{b: body[headerSize:], intern: map[string]string{}}
	objs := make([]*catalog.Object, hdr.count)
	for i := range objs {
		objs[i] = d.object()
		if d.err != nil {
			return hdr, nil, fmt.Errorf("%w: object %d: %v", ErrInvalidFile, i, d.err)
		}
	}
	if len(d.b) != 0 {
		return hdr, nil, fmt.Errorf("%w: %d bytes after the last object", ErrInvalidFile, len(d.b))
	}
	return hdr, objs, nil
}

// LoadFile installs the snapshot in the relcache file at path, at the
// file's seq, if the file is valid and newer than what the cache holds; the
// node then catches up from that seq instead of loading everything (see
// the package comment for the start order). ok is false, with a nil error,
// when there is no file or the cache is already at or past the file's seq;
// with an error wrapping ErrInvalidFile when the file is unusable; with
// another error when it cannot be read.
func (c *Cache) LoadFile(path string) (ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("catalog cache: read relcache file: %w", err)
	}
	hdr, objs, err := decodeFile(b)
	if err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	c.lockW(context.Background())
	defer c.unlockW()
	if s := c.cur.Load(); s.loaded && s.seq >= hdr.seq {
		return false, nil
	}
	c.install(objs, hdr.seq, hdr.readRev)
	c.n.fileLoads.Add(1)
	return true, nil
}
