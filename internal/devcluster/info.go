package devcluster

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cirrusdb/cirrus/storage"
)

// InfoFile is the name of the file, in a dev cluster's data directory,
// that tells other programs (cirrus tpch load) where the running cluster's
// endpoints and object store are.
const InfoFile = "cluster.json"

// Info is the content of InfoFile.
type Info struct {
	// Metad is metad's gRPC address.
	Metad string `json:"metad"`
	// PG are the coordinators' PostgreSQL addresses.
	PG []string `json:"pg"`
	// Participants are the participants' Flight addresses.
	Participants []string `json:"participants"`
	// Storage is where the objects live (without credentials).
	Storage storage.Location `json:"storage"`
	// PID is the process running the cluster.
	PID int `json:"pid"`
}

// DSN returns a PostgreSQL connection string for the first coordinator.
func (i *Info) DSN() string {
	if len(i.PG) == 0 {
		return ""
	}
	return fmt.Sprintf("postgres://cirrus@%s/cirrus?sslmode=disable", i.PG[0])
}

// Info describes the running cluster.
func (c *Cluster) Info() *Info {
	return &Info{Metad: c.MetadAddr, PG: c.PGAddrs, Participants: c.ParticipantAddrs, Storage: c.location, PID: os.Getpid()}
}

// writeInfo writes dir/cluster.json (temp file + rename).
func writeInfo(dir string, info *Info) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, InfoFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, InfoFile))
}

// ReadInfo reads the cluster.json a running `cirrus dev` wrote in its data
// directory.
func ReadInfo(dir string) (*Info, error) {
	b, err := os.ReadFile(filepath.Join(dir, InfoFile))
	if err != nil {
		return nil, err
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, InfoFile), err)
	}
	return &info, nil
}
