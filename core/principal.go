package core

// Platform names the places a principal can be identified on.
const (
	PlatformSlack   = "slack"
	PlatformDiscord = "discord"
	PlatformConsole = "console"
)

// Principal is a person or service that can be eligible for and hold roles.
type Principal struct {
	ID    string            // stable key used in config, assignments and audit
	Name  string            // display name
	Email string            // used to map platform users that have no configured id
	IDs   map[string]string // platform → platform user id
	// Manager is the principal id of who reviews this principal's access
	// in reviews whose reviewers are "manager"; "" for none.
	Manager string
}

// Group is a named set of principals; approvers may be given as groups.
// Platform maps a platform to a platform group (Slack user group, Discord
// guild role) whose members also count, when an adapter resolves them.
type Group struct {
	Name     string
	Members  []string
	Platform map[string]string
}
