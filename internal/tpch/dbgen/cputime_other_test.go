//go:build !unix

package dbgen

import "time"

func processCPU() time.Duration { return 0 }
