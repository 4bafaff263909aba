package core

// Field names an input: one a policy may require (bots ask for missing
// ones in a form), or the one an *Error is about. The names are those that
// the chat forms and the HTTP API give the same inputs, so an adapter shows
// an error beside its input without reading the error's wording.
type Field string

// Inputs that requests, decisions and assignments take.
const (
	FieldRole          Field = "role"
	FieldPrincipal     Field = "principal"
	FieldDuration      Field = "duration"
	FieldStart         Field = "start"
	FieldEnd           Field = "end"
	FieldJustification Field = "justification"
	FieldTicket        Field = "ticket"
	FieldCode          Field = "code" // an MFA code
	FieldReason        Field = "reason"
	FieldKind          Field = "kind"   // eligible or active
	FieldFormat        Field = "format" // of an audit export
)
