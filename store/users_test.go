package store

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// A login for an unknown user compares against dummyHash; it must cost what
// a real user's hash costs, or timing tells which usernames exist.
func TestDummyHashCost(t *testing.T) {
	cost, err := bcrypt.Cost(dummyHash)
	if err != nil || cost != BcryptCost {
		t.Fatalf("dummyHash cost %d (%v), want BcryptCost %d", cost, err, BcryptCost)
	}
	if bcrypt.CompareHashAndPassword(dummyHash, []byte("not a real password")) != nil {
		t.Fatal("dummyHash is not a valid bcrypt hash")
	}
}
