package views

// ActionsPage is a project's Automatic actions page: its rules, and the
// form that adds one (Chosen is set once an action is picked).
type ActionsPage struct {
	Page
	ProjectID   int64
	ProjectName string
	Rules       []ActionRow
	Actions     []Option // every action, for the first step
	Chosen      string   // the picked action's name
	ChosenLabel string
	Events      []Option // the events it runs on
	Params      []ActionParamField
}

// ActionRow is a rule in words.
type ActionRow struct {
	ID            int64
	Event, Action string
	Params        []ActionParamText
}

// ActionParamText is a rule's parameter: its label and what it names.
type ActionParamText struct {
	Label, Value string
}

// ActionParamField is a parameter of the form: a select box of Options,
// or a number or text input (Input).
type ActionParamField struct {
	Name, Label string
	Input       string // "select", "number" or "text"
	Options     []Option
}
