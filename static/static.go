// Package static holds the browser's CSS and the few lines of JavaScript,
// embedded so that the binary is the whole application.
package static

import "embed"

// FS holds the static files (styles, script, favicon), served under /static/.
//
//go:embed *.css *.js *.svg
var FS embed.FS
