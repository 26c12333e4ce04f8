// Package clients holds the tests that drive the real hookboard binary with
// the Kanboard clients teams already use: Debian's python3-kanboard (the
// Python API client) and kanboard-cli. It has no code of its own.
package clients
