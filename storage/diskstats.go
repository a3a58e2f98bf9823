package storage

// DiskCacheStats are the counters of a participant's local disk cache of
// object bytes (the cache in front of a remote object store). Hits and
// Misses count cache blocks; HitBytes are bytes served from local disk,
// MissBytes bytes fetched from the object store.
type DiskCacheStats struct {
	Hits      int64 `json:"hits"`
	Misses    int64 `json:"misses"`
	HitBytes  int64 `json:"hit_bytes"`
	MissBytes int64 `json:"miss_bytes"`
	Evictions int64 `json:"evictions"`
	// Bytes is what the cache holds now; MaxBytes its bound.
	Bytes    int64 `json:"bytes"`
	MaxBytes int64 `json:"max_bytes"`
	// Blocks is the number of cached blocks.
	Blocks int64 `json:"blocks"`
}
