package pgwire

import (
	"bufio"
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// LoadTLSConfig returns the TLS configuration of a server whose certificate
// chain (PEM, leaf first) and private key are in certFile and keyFile.
func LoadTLSConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	if fi, err := os.Stat(keyFile); err == nil && fi.Mode().Perm()&0o037 != 0 {
		// PostgreSQL refuses a key others can read (0640 is allowed for a
		// group such as ssl-cert); so do we.
		return nil, fmt.Errorf("private key file %s has group or world access; permissions should be u=rw (0600) or u=rw,g=r (0640) or less", keyFile)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// serverTLS returns the per-connection TLS configuration made from base: at
// least TLS 1.2, no session tickets (PostgreSQL's servers resume no
// sessions, and a resumed session would not say which certificate the
// channel binding names), and a record of the certificate presented.
func serverTLS(base *tls.Config, presented **tls.Certificate) *tls.Config {
	cfg := base.Clone()
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	cfg.SessionTicketsDisabled = true
	certs := cfg.Certificates
	get := cfg.GetCertificate
	cfg.Certificates = nil
	cfg.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		var cert *tls.Certificate
		if get != nil {
			c, err := get(hello)
			if err != nil {
				return nil, err
			}
			cert = c
		}
		if cert == nil && len(certs) > 0 {
			cert = &certs[0]
			for i := range certs {
				if hello.SupportsCertificate(&certs[i]) == nil {
					cert = &certs[i]
					break
				}
			}
		}
		if cert == nil {
			return nil, errors.New("pgwire: no TLS certificate configured")
		}
		*presented = cert
		return cert, nil
	}
	return cfg
}

// endPointHash is the tls-server-end-point channel binding data of a
// certificate (RFC 5929): its hash under the hash function of its signature
// algorithm, SHA-256 when that is MD5 or SHA-1.
func endPointHash(cert *tls.Certificate) ([]byte, error) {
	leaf := cert.Leaf
	if leaf == nil {
		if len(cert.Certificate) == 0 {
			return nil, errors.New("empty certificate")
		}
		var err error
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, err
		}
	}
	var h crypto.Hash
	switch leaf.SignatureAlgorithm {
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h = crypto.SHA384
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h = crypto.SHA512
	case x509.PureEd25519:
		// RFC 5929 leaves signatures without a hash function undefined;
		// PostgreSQL (OpenSSL) offers no channel binding for them.
		return nil, errors.New("no channel binding for Ed25519 certificates")
	default:
		h = crypto.SHA256
	}
	if h == crypto.SHA256 {
		sum := sha256.Sum256(leaf.Raw)
		return sum[:], nil
	}
	hh := h.New()
	hh.Write(leaf.Raw)
	return hh.Sum(nil), nil
}

// negotiate answers an SSLRequest (ssl) or a GSSENCRequest: 'S' and a TLS
// handshake when TLS is configured and not yet on, 'N' otherwise (no GSSAPI
// encryption). It reports whether the connection goes on.
//
// The client must wait for the answer before sending more: bytes that came
// with the request were sent before any encryption, could have been
// injected by a man in the middle, and must never be read as protocol input
// (CVE-2021-23214). As PostgreSQL, the connection is refused if there are
// any once the answer is sent; unlike PostgreSQL, which reports it inside
// TLS after the handshake, the error goes out in plain text before it.
func (c *conn) negotiate(ssl bool) bool {
	start := ssl && c.srv.opts.TLSConfig != nil && c.tls == nil
	answer := byte('N')
	if start {
		answer = 'S'
	}
	c.out = append(c.out, answer)
	if c.flush() != nil {
		return false
	}
	if c.pre.Buffered() > 0 {
		what := "SSL request"
		if !ssl {
			what = "GSSAPI encryption request"
		}
		c.sendFatal(sqlerr.New(sqlerr.ProtocolViolation, "received unencrypted data after "+what).
			WithDetail("This could be either a client-software bug or evidence of an attempted man-in-the-middle attack."))
		c.flush()
		return false
	}
	if !start {
		return true
	}
	var presented *tls.Certificate
	tc := tls.Server(c.raw, serverTLS(c.srv.opts.TLSConfig, &presented))
	if err := tc.HandshakeContext(c.ctx); err != nil {
		c.srv.log.Info("pgwire: TLS handshake failed", "remote", c.raw.RemoteAddr(), "err", err)
		return false
	}
	c.nc, c.tls = tc, tc
	c.pre = bufio.NewReaderSize(tc, 4096)
	if presented != nil {
		if h, err := endPointHash(presented); err == nil {
			c.cbind = h
		}
	}
	return true
}
