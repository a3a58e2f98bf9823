// Package scram holds PostgreSQL's stored password formats: SCRAM-SHA-256
// secrets (RFC 5802, RFC 7677) and md5 hashes, as pg_authid.rolpassword
// keeps them.
//
// A SCRAM secret is
//
//	SCRAM-SHA-256$<iterations>:<salt, base64>$<StoredKey, base64>:<ServerKey, base64>
//
// with SaltedPassword = PBKDF2-HMAC-SHA-256(SASLprep(password), salt, iterations),
// ClientKey = HMAC(SaltedPassword, "Client Key"), StoredKey = SHA-256(ClientKey)
// and ServerKey = HMAC(SaltedPassword, "Server Key"). The server keeps only
// StoredKey and ServerKey: it can check a client's proof and prove itself, but
// cannot log in as the user.
//
// An md5 hash is "md5" followed by the 32 hex digits of MD5(password || user).
package scram

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// PostgreSQL's defaults for a new secret.
const (
	DefaultIterations = 4096 // scram_iterations
	SaltLen           = 16   // SCRAM_DEFAULT_SALT_LEN
	KeyLen            = sha256.Size
)

// Keys are the contents of a SCRAM-SHA-256 secret.
type Keys struct {
	Iterations int
	Salt       []byte
	StoredKey  [KeyLen]byte
	ServerKey  [KeyLen]byte
}

// Secret returns the SCRAM-SHA-256 secret of password with a random salt
// and the default iteration count, as CREATE ROLE … PASSWORD stores it.
func Secret(password string) (string, error) {
	salt := make([]byte, SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("scram: generating salt: %w", err)
	}
	return NewKeys(password, salt, DefaultIterations).String(), nil
}

// NewKeys derives the keys of password for salt and iterations.
func NewKeys(password string, salt []byte, iterations int) Keys {
	salted := SaltedPassword(password, salt, iterations)
	k := Keys{Iterations: iterations, Salt: salt}
	k.StoredKey = sha256.Sum256(ClientKey(salted))
	copy(k.ServerKey[:], ServerKey(salted))
	return k
}

// String formats k as PostgreSQL stores it.
func (k Keys) String() string {
	b64 := base64.StdEncoding
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", k.Iterations, b64.EncodeToString(k.Salt),
		b64.EncodeToString(k.StoredKey[:]), b64.EncodeToString(k.ServerKey[:]))
}

// ParseSecret parses a SCRAM-SHA-256 secret; ok is false for anything else
// (an md5 hash, a malformed secret).
func ParseSecret(s string) (k Keys, ok bool) {
	scheme, rest, ok1 := strings.Cut(s, "$")
	iters, rest, ok2 := strings.Cut(rest, ":")
	salt, rest, ok3 := strings.Cut(rest, "$")
	stored, server, ok4 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || !ok3 || !ok4 || scheme != "SCRAM-SHA-256" {
		return Keys{}, false
	}
	n, err := strconv.Atoi(iters)
	if err != nil || n <= 0 {
		return Keys{}, false
	}
	b64 := base64.StdEncoding
	if k.Salt, err = b64.DecodeString(salt); err != nil || len(k.Salt) == 0 {
		return Keys{}, false
	}
	sk, err1 := b64.DecodeString(stored)
	vk, err2 := b64.DecodeString(server)
	if err1 != nil || err2 != nil || len(sk) != KeyLen || len(vk) != KeyLen {
		return Keys{}, false
	}
	k.Iterations = n
	copy(k.StoredKey[:], sk)
	copy(k.ServerKey[:], vk)
	return k, true
}

// VerifyPassword reports whether password is the one k was made from (the
// `password` authentication method against a SCRAM secret). It costs one
// key derivation.
func (k Keys) VerifyPassword(password string) bool {
	salted := SaltedPassword(password, k.Salt, k.Iterations)
	return hmac.Equal(ServerKey(salted), k.ServerKey[:])
}

// SaltedPassword is Hi(SASLprep(password), salt, iterations) of RFC 5802.
func SaltedPassword(password string, salt []byte, iterations int) []byte {
	b, err := pbkdf2.Key(sha256.New, Prepare(password), salt, iterations, KeyLen)
	if err != nil {
		// Only FIPS-mode restrictions make pbkdf2.Key fail (short salts);
		// a derivation that cannot succeed matches nothing.
		return make([]byte, KeyLen)
	}
	return b
}

// ClientKey is HMAC(SaltedPassword, "Client Key").
func ClientKey(salted []byte) []byte { return HMAC(salted, "Client Key") }

// ServerKey is HMAC(SaltedPassword, "Server Key").
func ServerKey(salted []byte) []byte { return HMAC(salted, "Server Key") }

// HMAC is HMAC-SHA-256(key, msg).
func HMAC(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// MD5Secret returns PostgreSQL's md5 hash of a user's password.
func MD5Secret(user, password string) string {
	sum := md5.Sum([]byte(password + user))
	return "md5" + hex.EncodeToString(sum[:])
}

// IsMD5Secret reports whether s has the form of an md5 hash.
func IsMD5Secret(s string) bool {
	if len(s) != 35 || !strings.HasPrefix(s, "md5") {
		return false
	}
	for _, c := range s[3:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// MD5Response returns what a client answers to AuthenticationMD5Password
// with salt when its user's hash is secret (the "md5…" stored form):
// "md5" + hex(MD5(hex digits of secret || salt)).
func MD5Response(secret string, salt [4]byte) string {
	sum := md5.Sum(append([]byte(strings.TrimPrefix(secret, "md5")), salt[:]...))
	return "md5" + hex.EncodeToString(sum[:])
}

// Prepare applies SASLprep (RFC 4013) to a password as PostgreSQL's
// pg_saslprep does: ASCII passwords are used as they are; otherwise spaces
// are mapped to U+0020, characters "commonly mapped to nothing" dropped and
// the result NFKC-normalized. A password that is not valid UTF-8 or holds a
// prohibited or unassigned character is used unchanged, as PostgreSQL does.
// (Unassigned means unassigned in Go's Unicode tables, not Unicode 3.2's, and
// the bidirectional-text rule is not checked; both matter only for passwords
// that mix such characters with ones NFKC changes.)
func Prepare(password string) string {
	ascii := true
	for i := 0; i < len(password); i++ {
		if password[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii || !utf8.ValidString(password) {
		return password
	}
	var b strings.Builder
	for _, r := range password {
		switch {
		case mappedToNothing(r):
		case isNonASCIISpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	out := norm.NFKC.String(b.String())
	for _, r := range out {
		if prohibited(r) {
			return password
		}
	}
	return out
}

// mappedToNothing is RFC 3454 table B.1.
func mappedToNothing(r rune) bool {
	switch r {
	case 0x00AD, 0x034F, 0x1806, 0x180B, 0x180C, 0x180D, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF:
		return true
	}
	return 0xFE00 <= r && r <= 0xFE0F
}

// isNonASCIISpace is RFC 3454 table C.1.2.
func isNonASCIISpace(r rune) bool {
	switch r {
	case 0x00A0, 0x1680, 0x202F, 0x205F, 0x3000:
		return true
	}
	return 0x2000 <= r && r <= 0x200B
}

// prohibited covers RFC 4013's prohibited output (tables C.1.2 and C.2 to
// C.9 of RFC 3454) and unassigned code points.
func prohibited(r rune) bool {
	switch {
	case isNonASCIISpace(r),
		r < 0x20 || r == 0x7F,  // C.2.1
		0x80 <= r && r <= 0x9F, // C.2.2
		r == 0x06DD || r == 0x070F || r == 0x180E || r == 0xFEFF || r == 0x2028 || r == 0x2029,
		0x200C <= r && r <= 0x200F, 0x2060 <= r && r <= 0x2063, 0x206A <= r && r <= 0x206F,
		0xFFF9 <= r && r <= 0xFFFD, // C.2.2, C.6, C.7
		0x1D173 <= r && r <= 0x1D17A,
		0x340 <= r && r <= 0x341,                         // C.8
		r == 0xE0001 || 0xE0020 <= r && r <= 0xE007F,     // C.9
		unicode.Is(unicode.Co, r),                        // C.3 private use
		unicode.Is(unicode.Cs, r),                        // C.5 surrogates
		r&0xFFFE == 0xFFFE || 0xFDD0 <= r && r <= 0xFDEF, // C.4 non-characters
		0x2FF0 <= r && r <= 0x2FFB:                       // C.7
		return true
	}
	return !unicode.Is(unicode.L, r) && !unicode.Is(unicode.M, r) && !unicode.Is(unicode.N, r) &&
		!unicode.Is(unicode.P, r) && !unicode.Is(unicode.S, r) && !unicode.Is(unicode.Z, r) &&
		!unicode.Is(unicode.Cf, r)
}
