package bot

// Message is the neutral message model that every adapter renders: Block Kit
// in Slack, embeds and components in Discord, lines of text in the console.
// All strings are plain text: adapters escape them for their platform, so
// user text (justifications, reasons) can never mention, link or format.
type Message struct {
	Title     string
	Text      string
	Fields    []Field
	Buttons   []Button
	Form      *Form // set when the bot needs more input before it can act
	File      *File // an attachment: a QR code, an audit export
	Tone      Tone
	Ephemeral bool // only the caller should see it
	// Replace says that, answering a click, the message is the new state of
	// the message that carried the button (a reviewer's page after a
	// decision): adapters edit that message in place instead of replying.
	Replace   bool
	RequestID string // the request the message is about, for updating its copies
	ReviewID  string // the access review the message is about
	AlertID   string // the security alert the message is about
}

// Field is a labelled value.
type Field struct {
	Label string
	Value string
}

// Button is an action the reader can take. Command is the command text the
// click stands for: adapters carry it (as a button value or custom id) and
// hand it back to Handle, where core authorizes it like a typed command.
// It carries ids, never authority.
type Button struct {
	Label   string
	Command string
	Style   Style
}

// Style is a button's emphasis.
type Style string

// Button styles.
const (
	StyleDefault Style = ""
	StylePrimary Style = "primary"
	StyleDanger  Style = "danger"
)

// Tone colours a message.
type Tone string

// Message tones.
const (
	ToneInfo    Tone = "info"
	ToneSuccess Tone = "success"
	ToneWarning Tone = "warning"
	ToneDanger  Tone = "danger"
)

// File is an attachment.
type File struct {
	Name string
	Type string // MIME type
	Data []byte
}

// Form asks for input: a Slack modal, a Discord modal, console prompts.
type Form struct {
	ID     FormID            // what submitting it does
	Title  string            // short: platforms cap modal titles
	Submit string            // submit button label
	Inputs []Input           // in order
	Hidden map[string]string // values carried through the form unchanged (role, request id)
}

// FormID names what a form is for.
type FormID string

// Forms the bot asks for.
const (
	FormRequest FormID = "request" // activation details
	FormDeny    FormID = "deny"    // a deny reason
	FormCode    FormID = "code"    // the MFA code of a PendingMFA request
)

// Input is one field of a form.
type Input struct {
	Name        string
	Label       string
	Kind        InputKind
	Required    bool
	Value       string   // pre-filled value
	Options     []string // for InputSelect
	Placeholder string
	MaxLen      int
}

// InputKind is how an input is shown.
type InputKind string

// Input kinds.
const (
	InputText   InputKind = "text"
	InputLong   InputKind = "long"   // multi-line
	InputSelect InputKind = "select" // one of Options
	InputCode   InputKind = "code"   // a short numeric code
)

// Submission is a submitted form.
type Submission struct {
	ID     FormID
	Hidden map[string]string
	Values map[string]string
}

// Missing returns the inputs that are required and have no value yet: the
// ones a text-only adapter must prompt for.
func (f *Form) Missing() []Input {
	var out []Input
	for _, in := range f.Inputs {
		if in.Required && in.Value == "" {
			out = append(out, in)
		}
	}
	return out
}
