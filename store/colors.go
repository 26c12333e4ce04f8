package store

// Color is one of Kanboard's 16 task colors.
type Color struct {
	ID         string
	Name       string
	Background string
	Border     string
}

// Colors lists Kanboard's task colors in Kanboard's order; yellow is the default.
var Colors = []Color{
	{"yellow", "Yellow", "rgb(245, 247, 196)", "rgb(223, 227, 45)"},
	{"blue", "Blue", "rgb(219, 235, 255)", "rgb(168, 207, 255)"},
	{"green", "Green", "rgb(189, 244, 203)", "rgb(74, 227, 113)"},
	{"purple", "Purple", "rgb(223, 176, 255)", "rgb(205, 133, 254)"},
	{"red", "Red", "rgb(255, 187, 187)", "rgb(255, 151, 151)"},
	{"orange", "Orange", "rgb(255, 215, 179)", "rgb(255, 172, 98)"},
	{"grey", "Grey", "rgb(238, 238, 238)", "rgb(204, 204, 204)"},
	{"brown", "Brown", "#d7ccc8", "#4e342e"},
	{"deep_orange", "Deep Orange", "#ffab91", "#e64a19"},
	{"dark_grey", "Dark Grey", "#cfd8dc", "#455a64"},
	{"pink", "Pink", "#f48fb1", "#d81b60"},
	{"teal", "Teal", "#80cbc4", "#00695c"},
	{"cyan", "Cyan", "#b2ebf2", "#00bcd4"},
	{"lime", "Lime", "#e6ee9c", "#afb42b"},
	{"light_green", "Light Green", "#dcedc8", "#689f38"},
	{"amber", "Amber", "#ffe082", "#ffa000"},
}

// DefaultColor is the color of a task created without one.
const DefaultColor = "yellow"

// ColorByID finds a color; ok is false for an unknown id.
func ColorByID(id string) (Color, bool) {
	for _, c := range Colors {
		if c.ID == id {
			return c, true
		}
	}
	return Color{}, false
}
