package views

// TaskLinks is what the task page shows of a task's links and metadata.
type TaskLinks struct {
	TaskID   int64
	CanEdit  bool // members add and remove links; viewers read them
	Links    []TaskLinkView
	External []ExternalLinkView
	Metadata []MetadataView
	// The add form's choices.
	LinkTypes     []Option
	ExternalTypes []Option
}

// TaskLinkView is one link to another task.
type TaskLinkView struct {
	ID          int64 // the task link, to remove it
	Label       string
	TaskID      int64
	Title       string
	ProjectName string
	Column      string
	Closed      bool
}

// ExternalLinkView is one link to something outside the board. Href is
// set only for web addresses; other URLs are shown as text, not followed.
type ExternalLinkView struct {
	ID         int64
	Title      string
	URL        string
	Href       string
	Type       string
	Dependency string
}

// MetadataView is one name and value, shown read-only.
type MetadataView struct {
	Name, Value string
}
