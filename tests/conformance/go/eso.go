package main

// ESO's own template functions, written for this reference on Go's standard library, go-pkcs12 and
// sigs.k8s.io/yaml, following the behaviour ESO documents (runtime/template/v2).

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"strings"
	"text/template"

	"sigs.k8s.io/yaml"
	gopkcs12 "software.sslmate.com/src/go-pkcs12"
)

func esoFuncs() template.FuncMap {
	return template.FuncMap{
		"pkcs12key":                 func(in string) (string, error) { return p12Key("", in) },
		"pkcs12keyPass":             p12Key,
		"pkcs12cert":                func(in string) (string, error) { return p12Cert("", in) },
		"pkcs12certPass":            p12Cert,
		"pemToPkcs12":               func(c, k string) (string, error) { return toP12(c, k, "", false) },
		"pemToPkcs12Pass":           func(c, k, p string) (string, error) { return toP12(c, k, p, false) },
		"fullPemToPkcs12":           func(c, k string) (string, error) { return toP12(c, k, "", true) },
		"fullPemToPkcs12Pass":       func(c, k, p string) (string, error) { return toP12(c, k, p, true) },
		"pemTruststoreToPKCS12":     func(c string) (string, error) { return trustStore(c, "") },
		"pemTruststoreToPKCS12Pass": trustStore,
		"filterPEM":                 filterPEM,
		"filterCertChain":           filterCertChain,
		"certSANs":                  certSANs,
		"jwkPublicKeyPem":           jwkPublic,
		"jwkPrivateKeyPem":          jwkPrivate,
		"toYaml":                    toYAML,
		"fromYaml":                  fromYAML,
		"rsaDecrypt":                rsaDecrypt,
	}
}

func pemOf(typ string, b []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}))
}

func p12Key(pass, in string) (string, error) {
	key, _, _, err := gopkcs12.DecodeChain([]byte(in), pass)
	if err != nil {
		return "", fmt.Errorf("unable to decode pkcs12 with password: %s", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	return pemOf("PRIVATE KEY", der), nil
}

func p12Cert(pass, in string) (string, error) {
	_, cert, cas, err := gopkcs12.DecodeChain([]byte(in), pass)
	if err != nil {
		return "", fmt.Errorf("unable to decode pkcs12 certificate with password: %s", err)
	}
	all := append([]*x509.Certificate{cert}, cas...)
	ordered, err := order(all)
	if err != nil {
		var s string
		for _, c := range all {
			s += pemOf("CERTIFICATE", c.Raw)
		}
		return s, nil
	}
	var s string
	for _, c := range ordered {
		s += pemOf("CERTIFICATE", c.Raw)
	}
	return s, nil
}

// order sorts leaf -> intermediates -> root by matching AuthorityKeyId to SubjectKeyId.
func order(certs []*x509.Certificate) ([]*x509.Certificate, error) {
	parent := make([]int, len(certs))
	isParent := make([]bool, len(certs))
	for i := range certs {
		parent[i] = -1
		for j := range certs {
			if i != j && bytes.Equal(certs[i].AuthorityKeyId, certs[j].SubjectKeyId) {
				isParent[j] = true
				parent[i] = j
				break
			}
		}
	}
	leaf := -1
	for i := range certs {
		if !isParent[i] {
			if leaf >= 0 {
				return nil, errors.New("found multiple leaf or disjunct certificates")
			}
			leaf = i
		}
	}
	if leaf < 0 {
		return nil, errors.New("no leaf certificate found")
	}
	var out []*x509.Certificate
	for cur := leaf; cur >= 0; cur = parent[cur] {
		if len(out) >= len(certs) {
			return nil, errors.New("constructing chain resulted in cycle")
		}
		out = append(out, certs[cur])
	}
	return out, nil
}

func parseKey(der []byte) (any, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("unable to parse private key type")
}

func parseCerts(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for len(data) > 0 {
		b, rest := pem.Decode(data)
		data = rest
		if b == nil {
			panic("runtime error: invalid memory address or nil pointer dereference")
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func toP12(certPEM, keyPEM, pass string, full bool) (string, error) {
	b, rest := pem.Decode([]byte(certPEM))
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return "", err
	}
	var cas []*x509.Certificate
	if full {
		if cas, err = parseCerts(rest); err != nil {
			return "", err
		}
	}
	kb, _ := pem.Decode([]byte(keyPEM))
	key, err := parseKey(kb.Bytes)
	if err != nil {
		return "", err
	}
	pfx, err := gopkcs12.Modern.Encode(key, cert, cas, pass)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(pfx), nil
}

func trustStore(certsPEM, pass string) (string, error) {
	certs, err := parseCerts([]byte(certsPEM))
	if err != nil {
		return "", err
	}
	pfx, err := gopkcs12.Modern.EncodeTrustStore(certs, pass)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(pfx), nil
}

func trimJunk(s string) string {
	if i := strings.Index(s, "-----BEGIN"); i >= 0 {
		return s[i:]
	}
	return s
}

func filterPEM(typ, in string) (string, error) {
	data := []byte(trimJunk(in))
	var out []byte
	var rest []byte
	for {
		var b *pem.Block
		b, rest = pem.Decode(data)
		data = rest
		if b == nil {
			break
		}
		if !strings.EqualFold(b.Type, typ) {
			continue
		}
		out = append(out, pem.EncodeToMemory(b)...)
	}
	if len(out) == 0 && len(rest) != 0 {
		return "", errors.New("error filtering pem: found junk")
	}
	return string(out), nil
}

func isRoot(c *x509.Certificate) bool {
	return c.AuthorityKeyId == nil || bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId)
}

func filterCertChain(kind, in string) (string, error) {
	var certs []*x509.Certificate
	data := []byte(in)
	for {
		b, rest := pem.Decode(data)
		data = rest
		if b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return "", err
		}
		certs = append(certs, c)
	}
	ordered, err := order(certs)
	if err != nil {
		return "", err
	}
	switch kind {
	case "leaf":
		c := ordered[0]
		if c.AuthorityKeyId != nil && !bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId) {
			return pemOf("CERTIFICATE", c.Raw), nil
		}
	case "intermediate":
		if len(ordered) < 2 {
			return "", nil
		}
		var s string
		for _, c := range ordered[1:] {
			if isRoot(c) {
				break
			}
			s += pemOf("CERTIFICATE", c.Raw)
		}
		return s, nil
	case "root":
		c := ordered[len(ordered)-1]
		if isRoot(c) {
			return pemOf("CERTIFICATE", c.Raw), nil
		}
	}
	return "", nil
}

func certSANs(in string) ([]string, error) {
	b, _ := pem.Decode([]byte(trimJunk(in)))
	if b == nil {
		return nil, errors.New("failed to decode PEM block")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("failed to parse certificate: %w", err)
	}
	out := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	out = append(out, c.EmailAddresses...)
	for _, u := range c.URIs {
		out = append(out, u.String())
	}
	return out, nil
}

type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	N   string `json:"n"`
	E   string `json:"e"`
	D   string `json:"d"`
	P   string `json:"p"`
	Q   string `json:"q"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

func b64u(s string) []byte {
	b, _ := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	return b
}

func bigOf(s string) *big.Int { return new(big.Int).SetBytes(b64u(s)) }

// parseJWK returns the key a JWK describes: private if it has "d", public otherwise.
func parseJWK(text string) (any, error) {
	var k jwk
	if err := json.Unmarshal([]byte(text), &k); err != nil {
		return nil, fmt.Errorf("failed to parse key: %w", err)
	}
	switch k.Kty {
	case "RSA":
		pub := rsa.PublicKey{N: bigOf(k.N), E: int(bigOf(k.E).Int64())}
		if k.D == "" {
			return &pub, nil
		}
		priv := &rsa.PrivateKey{PublicKey: pub, D: bigOf(k.D), Primes: []*big.Int{bigOf(k.P), bigOf(k.Q)}}
		priv.Precompute()
		return priv, nil
	case "EC":
		var c elliptic.Curve
		switch k.Crv {
		case "P-256":
			c = elliptic.P256()
		case "P-384":
			c = elliptic.P384()
		case "P-521":
			c = elliptic.P521()
		default:
			return nil, fmt.Errorf("failed to parse key: unsupported curve %q", k.Crv)
		}
		pub := ecdsa.PublicKey{Curve: c, X: bigOf(k.X), Y: bigOf(k.Y)}
		if k.D == "" {
			return &pub, nil
		}
		return &ecdsa.PrivateKey{PublicKey: pub, D: bigOf(k.D)}, nil
	case "OKP":
		if k.Crv != "Ed25519" {
			return nil, fmt.Errorf("failed to parse key: unsupported curve %q", k.Crv)
		}
		if k.D == "" {
			return ed25519.PublicKey(b64u(k.X)), nil
		}
		return ed25519.NewKeyFromSeed(b64u(k.D)), nil
	}
	return nil, fmt.Errorf("failed to parse key: invalid key type %q", k.Kty)
}

func jwkPublic(text string) (string, error) {
	k, err := parseJWK(text)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return "", err
	}
	return pemOf("PUBLIC KEY", der), nil
}

func jwkPrivate(text string) (string, error) {
	k, err := parseJWK(text)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", err
	}
	return pemOf("PRIVATE KEY", der), nil
}

func toYAML(v any) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}

func fromYAML(s string) map[string]any {
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func rsaDecrypt(scheme, hashName, in, keyPEM string) (string, error) {
	switch scheme {
	case "None":
		return in, nil
	case "RSA-OAEP":
		b, _ := pem.Decode([]byte(keyPEM))
		if b == nil {
			return "", errors.New("failed to decode PEM block")
		}
		k, err := parseKey(b.Bytes)
		if err != nil {
			return "", fmt.Errorf("could not parse private key: %v", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return "", errors.New("could not parse RSA private key")
		}
		var h hash.Hash
		switch hashName {
		case "SHA1":
			h = crypto.SHA1.New()
		case "SHA512":
			h = sha512.New()
		default:
			h = sha256.New()
		}
		out, err := rsa.DecryptOAEP(h, nil, rk, []byte(in), nil)
		if err != nil {
			return "", fmt.Errorf("error decrypting data with RSA: %v", err)
		}
		return string(out), nil
	}
	return "", fmt.Errorf("decryption scheme %v is not supported", scheme)
}

var _ = sha1.New
