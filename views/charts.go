package views

// Chart is a bar chart drawn on the server as SVG: an endpoint's success
// rate and latency, the endpoint list's sparklines, an integration's usage.
// Each slot carries its numbers as text, shown on hover and keyboard focus
// and read by screen readers, so no number depends on colour or a mouse.
type Chart struct {
	Label   string // the chart's accessible name
	Summary string // a line of text under the chart with the totals
	Series  []ChartSeries
	Slots   []ChartSlot
	Max     float64 // the top of the scale; > 0
	MaxText string  // the label of the top of the scale ("100 %", "250 ms")
	// Compact is the sparkline form: no axis, no legend, no readout, one
	// focus stop for the whole chart.
	Compact bool
	Width   int // of the full form; 0: the default
	TestID  string
}

// ChartSeries is one kind of bar. Outline bars are drawn as a frame, so a
// second series is told apart by its shape, not only its colour.
type ChartSeries struct {
	Name    string
	Outline bool
}

// ChartSlot is one time slot: a value per series (negative: no data).
type ChartSlot struct {
	Label  string // under the slot; "" for none
	Values []float64
	Text   string // the slot's numbers in words
}

// Chart geometry, in SVG user units.
const (
	chartLeft    = 44  // room for the scale's labels
	chartTop     = 20  // room for the readout line
	chartPlot    = 100 // the bars' height at Max
	chartBottom  = 18  // room for the slots' labels
	chartMinSlot = 18
	chartWidth   = 600
	sparkH       = 22
	sparkSlotW   = 4
)

type drawnBar struct {
	X, Y, W, H int
	Class      string
}

type drawnSlot struct {
	X, W   int
	Bars   []drawnBar
	NoData bool
	Label  string
	Text   string
}

// layout places the slots and bars.
func (c Chart) layout() (w, h int, slots []drawnSlot) {
	n := max(len(c.Slots), 1)
	width := chartWidth
	if c.Width > 0 {
		width = c.Width
	}
	left, top, plot, bottom, slotW := chartLeft, chartTop, chartPlot, chartBottom, max((width-chartLeft)/n, chartMinSlot)
	if c.Compact {
		left, top, plot, bottom, slotW = 0, 0, sparkH-2, 2, sparkSlotW
	}
	w, h = left+n*slotW, top+plot+bottom
	base := top + plot
	for i, s := range c.Slots {
		d := drawnSlot{X: left + i*slotW, W: slotW, Label: s.Label, Text: s.Text, NoData: true}
		inner := max(slotW-2, 1)
		if !c.Compact {
			inner = max(slotW-6, 2)
		}
		for k, v := range s.Values {
			if v < 0 {
				continue
			}
			d.NoData = false
			bh := int(v / c.Max * float64(plot))
			if v > 0 && bh < 1 {
				bh = 1 // some use never looks like none
			}
			bw, class := inner, "fill"
			if k < len(c.Series) && c.Series[k].Outline {
				class = "outline"
			} else if len(c.Series) > 1 {
				bw = max(inner/2, 1)
			}
			b := drawnBar{X: d.X + (slotW-bw)/2, Y: base - bh, W: bw, H: bh, Class: class}
			d.Bars = append(d.Bars, b)
		}
		slots = append(slots, d)
	}
	return w, h, slots
}
