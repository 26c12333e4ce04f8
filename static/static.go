// Package static holds the browser's CSS and the few lines of JavaScript,
// embedded so that the binary is the whole application.
package static

import "embed"

// FS holds the static files, served under /static/.
//
//go:embed *.css *.js
var FS embed.FS
