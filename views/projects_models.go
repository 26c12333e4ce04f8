package views

// ProjectsPage lists the projects, with "New project" for those who may
// create one.
type ProjectsPage struct {
	Page
	Projects  []ProjectRow
	CanCreate bool
	// What the new-project form held when it was refused.
	NewName, NewIdentifier string
}

// ProjectRow is one project of the list.
type ProjectRow struct {
	ID         int64
	Name       string
	Identifier string
	Active     bool
	Manages    bool // the viewer may open its settings
}

// ProjectSettingsPage is a project's administration page.
type ProjectSettingsPage struct {
	Page
	ID                                                       int64
	Name, Description, Identifier, Email, StartDate, EndDate string
	Active                                                   bool
	Columns                                                  []ColumnRow
	Swimlanes                                                []SwimlaneRow
	Categories                                               []CategoryRow
	NewCategoryColors                                        []Option
}

// ColumnRow is one column of the settings page, in board order.
type ColumnRow struct {
	ID          int64
	Title       string
	Description string
	Position    int
	TaskLimit   int // 0: no WIP limit
	First, Last bool
}

// SwimlaneRow is one swimlane; disabled ones have position 0.
type SwimlaneRow struct {
	ID          int64
	Name        string
	Position    int
	Active      bool
	First, Last bool // among the active ones
}

// CategoryRow is one category with its colour choices.
type CategoryRow struct {
	ID        int64
	Name      string
	ColorID   string
	ColorName string
	Colors    []Option
}
