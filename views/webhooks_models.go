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
	Health24 Chart // success rate by hour, compact
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
	Charts  EndpointCharts
	// TestEvents are what "Send test event" can send: webhook.test or
	// the catalog's sample of an event.
	TestEvents []Option
	BulkSince  []Option
	Queued     int
}

// DeliveryRow is one delivery in a list.
type DeliveryRow struct {
	ID           int64
	EndpointID   int64
	EndpointName string
	EventName    string
	EventID      string
	Status       string
	StatusKind   string // badge kind
	HTTPStatus   int
	Error        string
	Attempts     int
	When         string
	Next         string
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
	ResponseBody    string // as received, as text
	// RequestPretty and ResponsePretty are the bodies indented, when
	// they are JSON; "" otherwise.
	RequestPretty  string
	ResponsePretty string
	Error          string
}

// Header is one HTTP header line.
type Header struct {
	Name  string
	Value string
}

// DeliveryLogPage is Settings → Webhooks → Delivery log: every endpoint's
// deliveries, filtered, a page at a time, with bulk redelivery.
type DeliveryLogPage struct {
	Page
	Endpoints  []Option // the endpoint filter; the first is "all"
	Events     []Option
	Statuses   []Option
	Classes    []Option
	Since      string // as typed
	Until      string
	Find       string // a webhook-id or a task id
	Deliveries []DeliveryRow
	// OlderURL and NewerURL open the neighbouring pages, "" at either end.
	OlderURL string
	NewerURL string
	CanSend  bool
	// Queued counts the redeliveries waiting for the retry worker.
	Queued int
	// BulkEndpoints are the endpoints "redeliver every undelivered" can
	// name, the filtered one selected.
	BulkEndpoints []Option
	BulkSince     []Option
}

// EndpointCharts are an endpoint's health over the last 24 hours and 7
// days: success rate and latency.
type EndpointCharts struct {
	Rate24h, Latency24h Chart
	Rate7d, Latency7d   Chart
}

// EventsPage is the event catalog: every event with when it fires and a
// sample body per format, and a button per endpoint that sends the sample.
type EventsPage struct {
	Page
	Events    []CatalogEvent
	Endpoints []EndpointChoice
	CanSend   bool
}

// CatalogEvent is one event of the catalog.
type CatalogEvent struct {
	Name    string
	Fires   string
	Samples []SampleBody
}

// SampleBody is a sample event as one payload format sends it.
type SampleBody struct {
	Format      string
	ContentType string
	Body        string
}

// EndpointChoice is an endpoint a sample can be sent to.
type EndpointChoice struct {
	ID   int64
	Name string
}
