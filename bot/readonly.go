package bot

// readOnly are the verbs whose whole work is reading the store: they
// change nothing, post nothing and open no modal. It is an allow-list, so
// that a new verb counts as changing something until it is added here.
var readOnly = map[Verb]bool{
	VerbHelp: true, VerbHelpAlerts: true, VerbMenu: true, VerbStatus: true,
	VerbWho: true, VerbReviews: true, VerbReview: true, VerbAlerts: true,
}

// ReadOnly reports whether a command of verb v changes nothing. A chat
// adapter answers such a command in its acknowledgement itself (Slack's
// 200, Discord's interaction response), with no inbox item behind it:
// if the replica dies before answering, nothing was acknowledged and
// nothing happened. Every other verb goes through the inbox, so that an
// acknowledged command that changes something is always answered.
func ReadOnly(v Verb) bool { return readOnly[v] }
