package views

// WebhooksPage is Settings → Webhooks: the endpoints with their health.
type WebhooksPage struct {
	Page
	Endpoints []EndpointRow
	Form      EndpointForm
}

// EndpointRow is one endpoint in the list.
type EndpointRow struct {
	ID       int64
	Name     string
	URL      string
	Format   string
	Events   string // "All events" or a short list
	Health   Health
	Pending  int
	Failed24 int
}

// Health is an endpoint's state in one badge and a line of detail.
type Health struct {
	Kind   string // "ok", "bad", "warn", "off"
	Label  string
	Detail string
}

// EndpointForm is the add/edit form of an endpoint.
type EndpointForm struct {
	Name      string
	URL       string
	TimeoutMS int64
	AllEvents bool
	Events    []Option // one per event name
	AllProj   bool
	Projects  []Option // one per project
	Formats   []Option
}

// EndpointPage is one endpoint: settings, secrets, deliveries.
type EndpointPage struct {
	Page
	ID          int64
	Name        string
	URL         string
	Enabled     bool
	Health      Health
	Form        EndpointForm
	Token       string
	PrevToken   string
	TokenUntil  string // end of the old token's grace, "" when none
	Secret      string
	PrevSecret  string
	SecretUntil string
	Deliveries  []DeliveryRow
	FailedOnly  bool
	// CanSend is false when the server runs without a notifier.
	CanSend bool
}

// DeliveryRow is one delivery in a list.
type DeliveryRow struct {
	ID         int64
	EventName  string
	EventID    string
	Status     string
	StatusKind string // badge kind
	HTTPStatus int
	Error      string
	Attempts   int
	When       string
	Next       string
}

// DeliveryPage is one delivery with every attempt.
type DeliveryPage struct {
	Page
	Delivery     DeliveryRow
	EndpointID   int64
	EndpointName string
	Attempts     []AttemptView
	CanSend      bool
}

// AttemptView is one recorded HTTP request and its answer.
type AttemptView struct {
	Trigger         string
	When            string
	Latency         string
	RequestURL      string
	RequestHeaders  []Header
	RequestBody     string
	ResponseStatus  int
	ResponseHeaders []Header
	ResponseBody    string
	Error           string
}

// Header is one HTTP header line.
type Header struct {
	Name  string
	Value string
}
