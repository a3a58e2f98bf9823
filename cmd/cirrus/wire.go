package main

import (
	"errors"
	"flag"

	"github.com/cirrusdb/cirrus/coordinator/pgwire"
)

// wireFlags are the security flags of a coordinator's PostgreSQL listener.
type wireFlags struct {
	cert, key, hba *string
}

func addWireFlags(fs *flag.FlagSet) *wireFlags {
	return &wireFlags{
		cert: fs.String("tls-cert", "", "PEM certificate chain for TLS on the PostgreSQL port (with --tls-key)"),
		key:  fs.String("tls-key", "", "PEM private key for TLS on the PostgreSQL port (mode 0600 or 0640)"),
		hba:  fs.String("hba", "", "host rules file (pg_hba.conf subset: host|hostssl|hostnossl DATABASE USER ADDRESS METHOD); default: trust on loopback, refuse others"),
	}
}

// options returns the listener options the flags ask for.
func (f *wireFlags) options() (pgwire.Options, error) {
	var o pgwire.Options
	if (*f.cert == "") != (*f.key == "") {
		return o, errors.New("--tls-cert and --tls-key go together")
	}
	if *f.cert != "" {
		cfg, err := pgwire.LoadTLSConfig(*f.cert, *f.key)
		if err != nil {
			return o, err
		}
		o.TLSConfig = cfg
	}
	if *f.hba != "" {
		rules, err := pgwire.LoadHostRules(*f.hba)
		if err != nil {
			return o, err
		}
		o.HostRules = rules
	}
	return o, nil
}
