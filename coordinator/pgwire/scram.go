package pgwire

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/cirrusdb/cirrus/internal/scram"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// SASL mechanism names.
const (
	mechSCRAM     = "SCRAM-SHA-256"
	mechSCRAMPlus = "SCRAM-SHA-256-PLUS"
)

// scramNonceLen is the number of random bytes in the server's nonce
// (PostgreSQL's SCRAM_RAW_NONCE_LEN).
const scramNonceLen = 18

// scramServer is the server side of one SCRAM-SHA-256 exchange as
// PostgreSQL runs it (auth-scram.c): the client-first-message arrives in
// SASLInitialResponse, the server-first-message goes out in
// AuthenticationSASLContinue, the client-final-message arrives in
// SASLResponse and the server-final-message goes out in
// AuthenticationSASLFinal. The user name inside the messages is ignored (the
// startup packet's is used). It does no I/O, so a fuzz test can drive it.
//
// A doomed exchange (no such user, no usable secret) runs every step with
// keys that match no password and fails at the end like a wrong password.
type scramServer struct {
	keys   scram.Keys
	doomed bool
	// cbind is the tls-server-end-point channel binding data (the hash of
	// the server's certificate) when the exchange runs over TLS.
	cbind []byte
	plus  bool // SCRAM-SHA-256-PLUS selected

	cbindFlag       byte // 'n', 'y' or 'p' of the client's GS2 header
	clientFirstBare string
	serverFirst     string
	nonce           string // client nonce + server nonce
}

// malformedSCRAM is PostgreSQL's 08P01 for a message that does not parse.
func malformedSCRAM(format string, args ...any) *sqlerr.Error {
	return sqlerr.New(sqlerr.ProtocolViolation, "malformed SCRAM message").WithDetail(fmt.Sprintf(format, args...))
}

// sanitizeChar prints a byte for an error message as PostgreSQL does.
func sanitizeChar(s string) string {
	if s == "" {
		return "0x00"
	}
	if c := s[0]; c >= 0x21 && c <= 0x7e {
		return "'" + string(c) + "'"
	}
	return fmt.Sprintf("0x%02x", s[0])
}

// sanitizeString replaces the unprintable bytes of s by '?' (PostgreSQL's
// sanitize_str).
func sanitizeString(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x21 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}

// scramInput checks a SASL message body as PostgreSQL does before parsing:
// non-empty, and no NUL inside.
func scramInput(msg []byte) (string, *sqlerr.Error) {
	if len(msg) == 0 {
		return "", malformedSCRAM("The message is empty.")
	}
	if bytes.IndexByte(msg, 0) >= 0 {
		return "", malformedSCRAM("Message length does not match input length.")
	}
	return string(msg), nil
}

// readAttr reads "attr=value" followed by a comma or the end of input.
func readAttr(in *string, attr byte) (string, *sqlerr.Error) {
	s := *in
	if s == "" || s[0] != attr {
		return "", malformedSCRAM("Expected attribute \"%c\" but found \"%s\".", attr, sanitizeChar(s))
	}
	if len(s) < 2 || s[1] != '=' {
		return "", malformedSCRAM("Expected character \"=\" for attribute \"%c\".", attr)
	}
	v, rest, _ := strings.Cut(s[2:], ",")
	*in = rest
	return v, nil
}

// readAnyAttr reads the next "ALPHA=value" attribute.
func readAnyAttr(in *string) (byte, string, *sqlerr.Error) {
	s := *in
	if s == "" {
		return 0, "", malformedSCRAM("Attribute expected, but found end of string.")
	}
	a := s[0]
	if !('A' <= a && a <= 'Z' || 'a' <= a && a <= 'z') {
		return 0, "", malformedSCRAM("Attribute expected, but found invalid character \"%s\".", sanitizeChar(s))
	}
	v, err := readAttr(in, a)
	return a, v, err
}

// clientFirst reads the client-first-message and returns the
// server-first-message.
func (s *scramServer) clientFirst(msg []byte) ([]byte, *sqlerr.Error) {
	in, err := scramInput(msg)
	if err != nil {
		return nil, err
	}
	// gs2-cbind-flag: "n" (no channel binding), "y" (the client could bind
	// but thinks the server cannot), or "p=tls-server-end-point".
	s.cbindFlag = in[0]
	switch in[0] {
	case 'n', 'y':
		if s.plus {
			return nil, malformedSCRAM("The client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include channel binding data.")
		}
		in = in[1:]
		if in == "" || in[0] != ',' {
			return nil, malformedSCRAM("Comma expected, but found character \"%s\".", sanitizeChar(in))
		}
		in = in[1:]
		if s.cbindFlag == 'y' && s.cbind != nil {
			return nil, sqlerr.New(sqlerr.ProtocolViolation, "SCRAM channel binding negotiation error").
				WithDetail("The client supports SCRAM channel binding but thinks the server does not.  However, this server does support channel binding.")
		}
	case 'p':
		if !s.plus {
			return nil, malformedSCRAM("The client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data.")
		}
		typ, err := readAttr(&in, 'p')
		if err != nil {
			return nil, err
		}
		if typ != "tls-server-end-point" {
			return nil, sqlerr.Errorf(sqlerr.ProtocolViolation, "unsupported SCRAM channel-binding type \"%s\"", sanitizeString(typ))
		}
	default:
		return nil, malformedSCRAM("Unexpected channel-binding flag \"%s\".", sanitizeChar(in))
	}
	if strings.HasPrefix(in, "a") {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "client uses authorization identity, but it is not supported")
	}
	if in == "" || in[0] != ',' {
		return nil, malformedSCRAM("Unexpected attribute \"%s\" in client-first-message.", sanitizeChar(in))
	}
	in = in[1:]
	s.clientFirstBare = in
	if strings.HasPrefix(in, "m") {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "client requires an unsupported SCRAM extension")
	}
	if _, err := readAttr(&in, 'n'); err != nil {
		return nil, err
	}
	clientNonce, err := readAttr(&in, 'r')
	if err != nil {
		return nil, err
	}
	if !scramPrintable(clientNonce) {
		return nil, sqlerr.New(sqlerr.ProtocolViolation, "non-printable characters in SCRAM nonce")
	}
	for in != "" { // optional extensions, ignored
		if _, _, err := readAnyAttr(&in); err != nil {
			return nil, err
		}
	}
	var raw [scramNonceLen]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, sqlerr.New(sqlerr.Internal, "could not generate random nonce")
	}
	s.nonce = clientNonce + base64.StdEncoding.EncodeToString(raw[:])
	s.serverFirst = fmt.Sprintf("r=%s,s=%s,i=%d", s.nonce, base64.StdEncoding.EncodeToString(s.keys.Salt), s.keys.Iterations)
	return []byte(s.serverFirst), nil
}

// scramPrintable reports whether a nonce holds only printable ASCII other
// than the comma (RFC 5802).
func scramPrintable(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x21 || c > 0x7e || c == ',' {
			return false
		}
	}
	return true
}

// clientFinal reads the client-final-message. ok reports whether the proof
// is right (never for a doomed exchange); then final is the
// server-final-message.
func (s *scramServer) clientFinal(msg []byte) (final []byte, ok bool, _ *sqlerr.Error) {
	in, err := scramInput(msg)
	if err != nil {
		return nil, false, err
	}
	all := in
	cb, err := readAttr(&in, 'c')
	if err != nil {
		return nil, false, err
	}
	if s.plus {
		want := base64.StdEncoding.EncodeToString(append([]byte("p=tls-server-end-point,,"), s.cbind...))
		if cb != want {
			return nil, false, sqlerr.New(sqlerr.InvalidAuthorization, "SCRAM channel binding check failed")
		}
	} else if !(cb == "biws" && s.cbindFlag == 'n') && !(cb == "eSws" && s.cbindFlag == 'y') {
		return nil, false, sqlerr.New(sqlerr.ProtocolViolation, "unexpected SCRAM channel-binding attribute in client-final-message")
	}
	finalNonce, err := readAttr(&in, 'r')
	if err != nil {
		return nil, false, err
	}
	// Optional extensions until the proof, which comes last.
	var proofAt int
	var proof string
	for {
		proofAt = len(all) - len(in) - 1
		a, v, err := readAnyAttr(&in)
		if err != nil {
			return nil, false, err
		}
		if a == 'p' {
			proof = v
			break
		}
	}
	clientProof, derr := base64.StdEncoding.DecodeString(proof)
	if derr != nil || len(clientProof) != scram.KeyLen {
		return nil, false, malformedSCRAM("Malformed proof in client-final-message.")
	}
	if in != "" {
		return nil, false, malformedSCRAM("Garbage found at the end of client-final-message.")
	}
	if finalNonce != s.nonce {
		return nil, false, sqlerr.New(sqlerr.ProtocolViolation, "invalid SCRAM response").WithDetail("Nonce does not match.")
	}
	authMessage := s.clientFirstBare + "," + s.serverFirst + "," + all[:proofAt]
	// The proof is checked even when the exchange is doomed, so that the
	// time taken does not tell whether the user exists.
	clientKey := scram.HMAC(s.keys.StoredKey[:], authMessage)
	for i := range clientKey {
		clientKey[i] ^= clientProof[i]
	}
	stored := sha256.Sum256(clientKey)
	if !hmac.Equal(stored[:], s.keys.StoredKey[:]) || s.doomed {
		return nil, false, nil
	}
	sig := scram.HMAC(s.keys.ServerKey[:], authMessage)
	return []byte("v=" + base64.StdEncoding.EncodeToString(sig)), true, nil
}

// mockKeys returns the keys of a doomed exchange for user: a salt that is
// the same at every attempt (derived from the user name and the server's
// nonce, as PostgreSQL's scram_mock_salt) so that it cannot be told from a
// real user's, and keys no password matches.
func mockKeys(user string, nonce []byte) scram.Keys {
	h := sha256.New()
	h.Write([]byte(user))
	h.Write(nonce)
	sum := h.Sum(nil)
	k := scram.Keys{Iterations: scram.DefaultIterations, Salt: sum[:scram.SaltLen]}
	// Random keys: even a client that knew the salt has no password
	// for them.
	rand.Read(k.StoredKey[:])
	rand.Read(k.ServerKey[:])
	return k
}
