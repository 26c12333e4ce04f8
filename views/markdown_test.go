package views

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestMarkdownRendersAndDisarms(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // in the HTML
		never    []string // never in the HTML
	}{
		{"emphasis and a line break", "**bold** _it_\nnext line", []string{"<strong>bold</strong>", "<em>it</em>", "<br>"}, nil},
		{"a script is shown, not run", "hi <script>alert(1)</script>", []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, []string{"<script"}},
		{"an HTML block is shown as text", "<div onclick=\"x()\">\nhello\n</div>", []string{"&lt;div onclick=", "hello"}, []string{"<div"}},
		{"an image handler is shown as text", "<img src=x onerror=alert(1)>", []string{"&lt;img"}, []string{"<img"}},
		{"javascript links lose their href", "[click](javascript:alert(1))", []string{"click"}, []string{"javascript:", "<a"}},
		{"links to other sites", "[docs](https://example.com/a)", []string{`href="https://example.com/a"`, `rel="nofollow noopener"`, `target="_blank"`}, nil},
		{"links on this site", "[task](/tasks/1)", []string{`href="/tasks/1"`, `rel="nofollow"`}, nil},
		{"bare URLs become links", "see https://example.com", []string{`<a href="https://example.com" rel="nofollow noopener"`}, nil},
		{"task lists", "- [x] done\n- [ ] todo", []string{`<input checked="" disabled="" type="checkbox"`}, nil},
		{"tables", "| a | b |\n|---|---|\n| 1 | 2 |", []string{"<table>", "<td>1</td>"}, nil},
		{"code keeps its markup as text", "```\n<b>x</b>\n```", []string{"<pre><code>&lt;b&gt;x&lt;/b&gt;"}, nil},
		{"inline HTML cannot style", "<span style=\"position:fixed\">x</span>", []string{"&lt;span"}, []string{"<span"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Markdown(tc.in).Render(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			html := buf.String()
			for _, w := range tc.want {
				if !strings.Contains(html, w) {
					t.Errorf("%q renders as %q, which lacks %q", tc.in, html, w)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(html, n) {
					t.Errorf("%q renders as %q, which has %q", tc.in, html, n)
				}
			}
		})
	}
}
