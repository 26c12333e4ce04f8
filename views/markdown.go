package views

import (
	"bytes"
	"html"
	"regexp"

	"github.com/a-h/templ"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// markdownParser renders task descriptions and comments as Kanboard does:
// GitHub-flavoured Markdown, a line break where the text has one, and raw
// HTML shown as text rather than obeyed.
var markdownParser = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithRendererOptions(
		gmhtml.WithHardWraps(),
		renderer.WithNodeRenderers(util.Prioritized(escapedHTML{}, 100)),
	),
)

// markdownPolicy is the allowlist the rendered HTML passes through, so that
// whatever the Markdown library lets by, no script, handler or style can
// reach the page. Links get rel="nofollow" (and "noopener" with a new tab
// for links to other sites), so a comment cannot lend the board's standing
// to a link or reach back into the page that opened it.
var markdownPolicy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	// GFM task lists: a disabled checkbox is all an <input> may be.
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").OnElements("input")
	return p
}()

// Markdown renders text written in Markdown as sanitized HTML.
func Markdown(text string) templ.Component {
	var buf bytes.Buffer
	if err := markdownParser.Convert([]byte(text), &buf); err != nil {
		// The parser fails only on a failing writer; show the text as it is.
		return templ.Raw(`<p class="prewrap">` + html.EscapeString(text) + `</p>`)
	}
	return templ.Raw(markdownPolicy.Sanitize(buf.String()))
}

// escapedHTML renders the raw HTML in Markdown as visible text, as
// Kanboard's Markdown does, instead of goldmark's silent omission: what
// someone typed stays readable, and none of it runs.
type escapedHTML struct{}

func (escapedHTML) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHTMLBlock, func(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		b := n.(*ast.HTMLBlock)
		w.WriteString("<p>")
		lines := b.Lines()
		for i := range lines.Len() {
			if i > 0 {
				w.WriteString("<br>\n")
			}
			line := lines.At(i)
			w.WriteString(html.EscapeString(string(bytes.TrimRight(line.Value(source), "\r\n"))))
		}
		if b.HasClosure() {
			w.WriteString("<br>\n")
			w.WriteString(html.EscapeString(string(bytes.TrimRight(b.ClosureLine.Value(source), "\r\n"))))
		}
		w.WriteString("</p>\n")
		return ast.WalkContinue, nil
	})
	reg.Register(ast.KindRawHTML, func(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkSkipChildren, nil
		}
		segs := n.(*ast.RawHTML).Segments
		for i := range segs.Len() {
			seg := segs.At(i)
			w.WriteString(html.EscapeString(string(seg.Value(source))))
		}
		return ast.WalkSkipChildren, nil
	})
}
