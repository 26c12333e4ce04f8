package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// secretBox encrypts the secrets Hookboard must be able to read back (webhook
// signing secrets, endpoint tokens, integration app secrets) with AES-256-GCM.
// The key lives in a file beside the database, not in it, so a leaked
// database or backup alone does not leak them.
type secretBox struct{ aead cipher.AEAD }

func loadSecretBox(path string) (*secretBox, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		rand.Read(key)
		// O_EXCL: two processes starting at once must not both write a key.
		f, ferr := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if ferr == nil {
			_, ferr = f.WriteString(hex.EncodeToString(key) + "\n")
			if cerr := f.Close(); ferr == nil {
				ferr = cerr
			}
			if ferr != nil {
				return nil, fmt.Errorf("store: write key file: %w", ferr)
			}
		} else if !errors.Is(ferr, fs.ErrExist) {
			return nil, fmt.Errorf("store: create key file: %w", ferr)
		}
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("store: read key file: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("store: key file %s does not hold a 64-hex-digit key", path)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &secretBox{aead: aead}, nil
}

func (b *secretBox) seal(plain string) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce)
	return b.aead.Seal(nonce, nonce, []byte(plain), nil)
}

func (b *secretBox) open(sealed []byte) (string, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("store: sealed secret too short")
	}
	plain, err := b.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return "", errors.New("store: cannot decrypt a secret: is this the database's key file?")
	}
	return string(plain), nil
}
