package views

// BoardPage is one project's board.
type BoardPage struct {
	Page
	ProjectID   int64
	ProjectName string
	Projects    []Option // to switch boards; Value is the project id
	Columns     []BoardColumn
	Lanes       []Lane
	Colors      []Option
	Owners      []Option // the new-task form's assignees: the project's assignable users
	ShowClosed  bool
	// Query is the board search (Kanboard's filter language) as typed;
	// Filtered when it narrowed the cards, SearchError when it could not be
	// read (then every card is shown). Shown counts the cards on the board.
	Query       string
	Filtered    bool
	SearchError string
	Shown       int
	// Link is this board's URL (with its search), ClosedLink the same with
	// closed tasks toggled, ClearLink the same without the search.
	Link       string
	ClosedLink string
	ClearLink  string
	// BoardQuery is the search and closed-task choice as a URL query, sent
	// with a card's move so the board comes back as it was.
	BoardQuery string
	NewTitle   string // the new-task form's title, kept when it was refused
	CanEdit    bool   // a project member: the forms that change tasks are shown
	CanManage  bool   // a project manager: the Members link is shown
	Metadata   []MetadataView
}

// BoardColumn is a column, a choice of the new-task form.
type BoardColumn struct {
	ID    int64
	Title string
}

// Lane is a swimlane: one row of cells, one per column.
type Lane struct {
	ID    int64
	Name  string
	Cells []Cell
}

// Cell is the tasks of one column in one swimlane.
type Cell struct {
	ColumnID   int64
	SwimlaneID int64
	Column     string
	Cards      []Card
	// Limit is the column's task limit (0: none). With a limit the header
	// shows the column's open tasks, across swimlanes, as Open/Limit, as
	// Kanboard does; OverLimit when Open exceeds it.
	Limit     int
	Open      int
	OverLimit bool
}

// Card is a task on the board.
type Card struct {
	ID       int64
	Title    string
	ColorID  string
	Owner    string
	Category string
	DateDue  string // YYYY-MM-DD, "" when none
	Overdue  bool   // an open task whose due day has passed
	Score    int64
	Closed   bool
	// Counts of what is attached, for the card's badges.
	SubtasksDone  int
	SubtasksTotal int
	Comments      int
	Files         int
	// PrevColumnID and NextColumnID are the neighbouring columns for the
	// card's move buttons (0 at the ends).
	PrevColumnID int64
	PrevColumn   string
	NextColumnID int64
	NextColumn   string
	SwimlaneID   int64
	// Position is the task's place in its cell as the store counts it
	// (hidden closed tasks too), for a drop between two cards.
	Position int64
}

// TaskPage is one task with everything attached to it.
type TaskPage struct {
	Page
	Task       TaskView
	Columns    []Option
	Swimlanes  []Option
	Owners     []Option
	Categories []Option
	Colors     []Option
	Comments   []CommentView
	Subtasks   []SubtaskView
	Files      []FileView
	MaxFile    string // the attachment size limit, for the hint
	CanEdit    bool   // a project member: the forms that change the task are shown
	Links      TaskLinks
}

// TaskView is the task's own fields, formatted for reading.
type TaskView struct {
	ID          int64
	Title       string
	Description string
	ColorID     string
	ColorName   string
	ProjectID   int64
	ProjectName string
	Column      string
	Swimlane    string
	Owner       string
	Category    string
	Closed      bool
	DateDue     string // YYYY-MM-DD or ""
	Score       int64
	Priority    int64
	Reference   string
	Created     string
	Modified    string
	Creator     string
}

// CommentView is one comment.
type CommentView struct {
	ID        int64
	Author    string
	When      string
	Text      string
	CanDelete bool // the author and admins may delete a comment
}

// SubtaskView is one subtask.
type SubtaskView struct {
	ID       int64
	Title    string
	Status   int // 0 todo, 1 in progress, 2 done
	Assignee string
	// TimeSpent is the subtask's recorded hours, for people ("1.5 h").
	TimeSpent string
	// TimerSince is when the viewer's running timer started; "" when none runs.
	TimerSince string
}

// FileView is one attached file.
type FileView struct {
	ID   int64
	Name string
	Size string
	When string
	By   string // who uploaded it; "" for an integration
}

// plural picks the singular or plural word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ProjectFilesPage is a project's files.
type ProjectFilesPage struct {
	Page
	ProjectID   int64
	ProjectName string
	Files       []FileView
	CanEdit     bool   // members upload and remove; viewers only download
	MaxFile     string // the size limit, for people
}
