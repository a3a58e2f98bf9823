package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"net"

	"github.com/cirrusdb/cirrus/internal/scram"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/jackc/pgproto3/v2"
)

// Credentials looks up a role's login data for authentication.
type Credentials interface {
	// Secret returns the role's stored password in PostgreSQL's pg_authid.rolpassword format
	// ("SCRAM-SHA-256$<iterations>:<salt b64>$<StoredKey b64>:<ServerKey b64>", "md5<32 hex digits>",
	// or "" for none), and whether the role exists and may log in (rolcanlogin).
	Secret(ctx context.Context, user string) (secret string, canLogin bool, err error)
}

// codeInvalidPassword is SQLSTATE invalid_password.
const codeInvalidPassword = "28P01"

// maxAuthMessage is PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH: the largest
// password or SASL message accepted.
const maxAuthMessage = 65535

// authFailed is the error of every failed password check, whatever the
// reason (wrong password, no such user, no password, a role that may not
// log in), so that a client cannot tell them apart.
func authFailed(user string) *sqlerr.Error {
	return sqlerr.Errorf(codeInvalidPassword, "password authentication failed for user %q", user)
}

// encryptionName completes PostgreSQL's host rule errors.
func encryptionName(tls bool) string {
	if tls {
		return "SSL encryption"
	}
	return "no encryption"
}

// authenticate runs the authentication the host rules choose for the
// connection. A *sqlerr.Error result is sent to the client as FATAL; other
// errors are I/O failures.
//
// Under trust, Credentials is not consulted: as PostgreSQL checks that the
// role exists and may log in only when the session starts (InitPostgres),
// Backend.Connect does. Password methods consult it, and a role that may
// not log in fails like a wrong password unless the password is right; then
// it gets PostgreSQL's "role … is not permitted to log in".
func (c *conn) authenticate() error {
	user, db := c.params.User, c.params.Database
	host := clientHost(c.raw.RemoteAddr())
	rule := c.srv.rules.match(c.raw.RemoteAddr(), c.tls != nil, db, user)
	if rule == nil {
		return sqlerr.Errorf(sqlerr.InvalidAuthorization, "no pg_hba.conf entry for host %q, user %q, database %q, %s",
			host, user, db, encryptionName(c.tls != nil))
	}
	switch rule.method {
	case AuthTrust:
		return nil
	case AuthReject:
		return sqlerr.Errorf(sqlerr.InvalidAuthorization, "pg_hba.conf rejects connection for host %q, user %q, database %q, %s",
			host, user, db, encryptionName(c.tls != nil))
	}
	secret, canLogin := "", false
	if cr := c.srv.opts.Credentials; cr != nil {
		var err error
		if secret, canLogin, err = cr.Secret(c.ctx, user); err != nil {
			return sqlerr.As(err)
		}
	}
	var ok bool
	var err error
	switch {
	case rule.method == AuthPassword:
		ok, err = c.authPassword(secret)
	case rule.method == AuthMD5 && scram.IsMD5Secret(secret):
		ok, err = c.authMD5(secret)
	default:
		// scram-sha-256, and md5 for a role without an md5 hash (as
		// PostgreSQL does when password_encryption is scram-sha-256).
		ok, err = c.authSCRAM(secret)
	}
	if err != nil {
		return err
	}
	if !ok {
		return authFailed(user)
	}
	if !canLogin {
		return sqlerr.Errorf(sqlerr.InvalidAuthorization, "role %q is not permitted to log in", user)
	}
	return nil
}

// readAuthMessage reads the client's next authentication message, which
// must be a 'p' message (PasswordMessage, SASLInitialResponse or
// SASLResponse); what names it in the error otherwise.
func (c *conn) readAuthMessage(what string) ([]byte, error) {
	if err := c.flush(); err != nil {
		return nil, err
	}
	var hdr [5]byte
	if err := c.readFull(hdr[:]); err != nil {
		return nil, err
	}
	if hdr[0] != 'p' {
		return nil, sqlerr.Errorf(sqlerr.ProtocolViolation, "expected %s response, got message type %d", what, hdr[0])
	}
	n := int64(binary.BigEndian.Uint32(hdr[1:]))
	if n < 4 || n-4 > maxAuthMessage {
		return nil, sqlerr.New(sqlerr.ProtocolViolation, "invalid message length")
	}
	return c.readBody(int(n - 4))
}

// readPassword reads a PasswordMessage: one NUL-terminated string.
func (c *conn) readPassword() (string, error) {
	body, err := c.readAuthMessage("password")
	if err != nil {
		return "", err
	}
	r := &msgReader{b: body}
	pw := r.cstring()
	if r.bad || len(r.b) != 0 {
		return "", sqlerr.New(sqlerr.ProtocolViolation, "invalid password packet size")
	}
	if pw == "" {
		return "", sqlerr.New(codeInvalidPassword, "empty password returned by client")
	}
	return pw, nil
}

// authPassword runs the password method: the client sends the password in
// clear text and it is checked against the secret. Without a usable secret
// a SCRAM check against mock keys costs the same time as a real one.
func (c *conn) authPassword(secret string) (bool, error) {
	c.send(&pgproto3.AuthenticationCleartextPassword{})
	pw, err := c.readPassword()
	if err != nil {
		return false, err
	}
	if scram.IsMD5Secret(secret) {
		return subtle.ConstantTimeCompare([]byte(scram.MD5Secret(c.params.User, pw)), []byte(secret)) == 1, nil
	}
	keys, ok := scram.ParseSecret(secret)
	if !ok {
		mockKeys(c.params.User, c.srv.authNonce).VerifyPassword(pw)
		return false, nil
	}
	return keys.VerifyPassword(pw), nil
}

// authMD5 runs the md5 method for a role with an md5 hash: the client
// answers a random salt with "md5" + MD5(MD5(password || user) || salt).
func (c *conn) authMD5(secret string) (bool, error) {
	var salt [4]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return false, sqlerr.New(sqlerr.Internal, "could not generate random MD5 salt")
	}
	c.send(&pgproto3.AuthenticationMD5Password{Salt: salt})
	resp, err := c.readPassword()
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(resp), []byte(scram.MD5Response(secret, salt))) == 1, nil
}

// authSCRAM runs a SASL exchange with SCRAM-SHA-256, or with
// SCRAM-SHA-256-PLUS (channel binding to the TLS certificate) when the
// connection is over TLS and the client chooses it. A role without a SCRAM
// secret goes through the same steps with mock keys and fails at the end.
func (c *conn) authSCRAM(secret string) (bool, error) {
	s := &scramServer{}
	if k, ok := scram.ParseSecret(secret); ok {
		s.keys = k
	} else {
		s.keys, s.doomed = mockKeys(c.params.User, c.srv.authNonce), true
	}
	mechs := []string{mechSCRAM}
	if c.cbind != nil {
		mechs = []string{mechSCRAMPlus, mechSCRAM}
	}
	c.send(&pgproto3.AuthenticationSASL{AuthMechanisms: mechs})
	body, err := c.readAuthMessage("SASL")
	if err != nil {
		return false, err
	}
	// SASLInitialResponse: mechanism, then the length of the initial
	// response (-1: none) and the response.
	r := &msgReader{b: body}
	mech := r.cstring()
	n := r.int32()
	var first []byte
	if n != -1 {
		first = r.bytes(int(n))
	}
	if err := r.check("SASLInitialResponse"); err != nil {
		return false, sqlerr.New(sqlerr.ProtocolViolation, err.Error())
	}
	switch {
	case mech == mechSCRAMPlus && c.cbind != nil:
		s.plus, s.cbind = true, c.cbind
	case mech == mechSCRAM:
		s.cbind = c.cbind
	default:
		return false, sqlerr.New(sqlerr.ProtocolViolation, "client selected an invalid SASL authentication mechanism")
	}
	if n == -1 {
		// No initial response: ask for it with an empty challenge.
		c.send(&pgproto3.AuthenticationSASLContinue{Data: []byte{}})
		if first, err = c.readAuthMessage("SASL"); err != nil {
			return false, err
		}
	}
	serverFirst, serr := s.clientFirst(first)
	if serr != nil {
		return false, serr
	}
	c.send(&pgproto3.AuthenticationSASLContinue{Data: serverFirst})
	final, err := c.readAuthMessage("SASL")
	if err != nil {
		return false, err
	}
	serverFinal, ok, serr := s.clientFinal(final)
	if serr != nil {
		return false, serr
	}
	if ok {
		c.send(&pgproto3.AuthenticationSASLFinal{Data: serverFinal})
	}
	return ok, nil
}

// clientHost returns the client's address as PostgreSQL prints it in
// host rule errors.
func clientHost(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	return "[local]"
}
