package config

// The types in this file mirror the YAML file format key for key; decode
// walks them by their yaml tags, so a key that is not a tag here is an
// unknown key. Durations and timestamps stay strings so that a bad one
// becomes a problem during validation instead of aborting the decode.
// Pointers mark settings whose absence differs from their zero value.
// A field of type Secret accepts both KEY (${ENV}) and KEY_file (path).

type fileFormat struct {
	AdminRole     string                   `yaml:"admin_role"`
	ReaderRole    string                   `yaml:"reader_role"`
	Timezone      string                   `yaml:"timezone"`
	Principals    map[string]principalSpec `yaml:"principals"`
	Groups        map[string]groupSpec     `yaml:"groups"`
	Channels      map[string]channelSpec   `yaml:"channels"`
	Notifications notificationsSpec        `yaml:"notifications"`
	Roles         map[string]roleSpec      `yaml:"roles"`
	Assignments   []assignmentSpec         `yaml:"assignments"`
	Reviews       map[string]reviewSpec    `yaml:"reviews"`
	Alerts        alertsSpec               `yaml:"alerts"`
	MFA           mfaSpec                  `yaml:"mfa"`
	Store         storeSpec                `yaml:"store"`
	Retention     retentionSpec            `yaml:"retention"`
	Audit         auditSpec                `yaml:"audit"`
	Server        serverSpec               `yaml:"server"`
	Slack         slackSpec                `yaml:"slack"`
	Discord       discordSpec              `yaml:"discord"`
	API           apiSpec                  `yaml:"api"`
}

type principalSpec struct {
	Name    string `yaml:"name"`
	Email   string `yaml:"email"`
	Slack   string `yaml:"slack"`
	Discord string `yaml:"discord"`
	Console string `yaml:"console"`
	Manager string `yaml:"manager"`
}

type groupSpec struct {
	Members        []string `yaml:"members"`
	SlackUsergroup string   `yaml:"slack_usergroup"`
	DiscordRole    string   `yaml:"discord_role"`
}

type channelSpec struct {
	Slack   string `yaml:"slack"`
	Discord string `yaml:"discord"`
	Console string `yaml:"console"`
}

type notificationsSpec struct {
	Channel       string `yaml:"channel"`
	AlertsChannel string `yaml:"alerts_channel"`
}

type roleSpec struct {
	Description string `yaml:"description"`
	Critical    bool   `yaml:"critical"`
	BreakGlass  bool   `yaml:"break_glass"`
	// BreakGlassPrincipals may activate a break_glass role, and nobody else.
	BreakGlassPrincipals []string       `yaml:"break_glass_principals"`
	Activation           activationSpec `yaml:"activation"`
	Approval             approvalSpec   `yaml:"approval"`
	Extension            extensionSpec  `yaml:"extension"`
	Eligibility          expirySpec     `yaml:"eligibility"`
	Assignment           expirySpec     `yaml:"assignment"`
	Notify               notifySpec     `yaml:"notify"`
	Targets              []targetSpec   `yaml:"targets"`
}

type targetSpec struct {
	Name      string   `yaml:"name"`
	Type      string   `yaml:"type"`
	URL       string   `yaml:"url"`
	Secret    Secret   `yaml:"secret"`
	Timeout   string   `yaml:"timeout"`
	Command   string   `yaml:"command"`
	Args      []string `yaml:"args"`
	Usergroup string   `yaml:"usergroup"`
	Guild     string   `yaml:"guild"`
	Role      string   `yaml:"role"`
	List      bool     `yaml:"list"`
}

type activationSpec struct {
	MaxDuration     string            `yaml:"max_duration"`
	DefaultDuration string            `yaml:"default_duration"`
	MaxLeadTime     string            `yaml:"max_lead_time"`
	Justification   justificationSpec `yaml:"justification"`
	Ticket          ticketSpec        `yaml:"ticket"`
	MFA             bool              `yaml:"mfa"`
}

type justificationSpec struct {
	Required  bool `yaml:"required"`
	MinLength int  `yaml:"min_length"`
}

type ticketSpec struct {
	Required bool   `yaml:"required"`
	Pattern  string `yaml:"pattern"`
}

type approvalSpec struct {
	Required     bool            `yaml:"required"`
	Approvers    []string        `yaml:"approvers"`
	MinApprovals *int            `yaml:"min_approvals"`
	Timeout      string          `yaml:"timeout"`
	Escalation   *escalationSpec `yaml:"escalation"`
}

type escalationSpec struct {
	After     string   `yaml:"after"`
	Approvers []string `yaml:"approvers"`
}

type extensionSpec struct {
	Allowed  bool   `yaml:"allowed"`
	MaxTotal string `yaml:"max_total"`
}

type expirySpec struct {
	MaxDuration    string `yaml:"max_duration"`
	AllowPermanent *bool  `yaml:"allow_permanent"`
}

type notifySpec struct {
	Channel          string `yaml:"channel"`
	ApprovalsChannel string `yaml:"approvals_channel"`
	DMApprovers      *bool  `yaml:"dm_approvers"`
}

type assignmentSpec struct {
	Principal string `yaml:"principal"`
	Role      string `yaml:"role"`
	Type      string `yaml:"type"`
	Start     string `yaml:"start"`
	End       string `yaml:"end"`
	Permanent bool   `yaml:"permanent"`
}

type reviewSpec struct {
	Roles         []string          `yaml:"roles"`
	Critical      bool              `yaml:"critical"`
	Assignments   string            `yaml:"assignments"`
	PermanentOnly bool              `yaml:"permanent_only"`
	Start         string            `yaml:"start"`
	Every         string            `yaml:"every"`
	Duration      string            `yaml:"duration"`
	End           string            `yaml:"end"`
	Occurrences   int               `yaml:"occurrences"`
	Reviewers     []string          `yaml:"reviewers"`
	Fallback      []string          `yaml:"fallback"`
	Stages        []reviewStageSpec `yaml:"stages"`
	Reminders     []string          `yaml:"reminders"`
	Owners        []string          `yaml:"owners"`
	Channel       string            `yaml:"channel"`
	PostProgress  bool              `yaml:"post_progress"`
	AutoApply     *bool             `yaml:"auto_apply"`
	IfNoAnswer    string            `yaml:"if_no_answer"`
	RequireReason bool              `yaml:"require_reason"`
	UnusedFor     string            `yaml:"unused_for"`
}

type reviewStageSpec struct {
	Reviewers []string `yaml:"reviewers"`
	Fallback  []string `yaml:"fallback"`
	Duration  string   `yaml:"duration"`
}

type mfaSpec struct {
	Issuer        string `yaml:"issuer"`
	EncryptionKey Secret `yaml:"encryption_key"`
}

type storeSpec struct {
	RedisURL  Secret `yaml:"redis_url"`
	RedisMode string `yaml:"redis_mode"`
}

type retentionSpec struct {
	Requests string `yaml:"requests"`
	Reviews  string `yaml:"reviews"`
}

type auditSpec struct {
	Hot             string   `yaml:"hot"`
	ArchiveDir      string   `yaml:"archive_dir"`
	ArchivePostgres Secret   `yaml:"archive_postgres"` // a DSN: ${ENV} or archive_postgres_file, it carries a password
	SIEM            siemSpec `yaml:"siem"`
	AnchorFile      string   `yaml:"anchor_file"` // audit heads are appended here, outside the store
}

type siemSpec struct {
	Syslog string `yaml:"syslog"`
	HTTP   string `yaml:"http"`
}

type serverSpec struct {
	HTTPAddr string `yaml:"http_addr"`
}

type slackSpec struct {
	BotToken      Secret `yaml:"bot_token"`
	SigningSecret Secret `yaml:"signing_secret"`
	AppToken      Secret `yaml:"app_token"`
	APIURL        string `yaml:"api_url"`
}

type discordSpec struct {
	BotToken  Secret   `yaml:"bot_token"`
	AppID     string   `yaml:"app_id"`
	PublicKey string   `yaml:"public_key"`
	Mode      string   `yaml:"mode"`
	Guilds    []string `yaml:"guilds"`
	APIURL    string   `yaml:"api_url"`
}

type apiSpec struct {
	Tokens []apiTokenSpec `yaml:"tokens"`
}

type apiTokenSpec struct {
	Name      string   `yaml:"name"`
	Principal string   `yaml:"principal"`
	Scopes    []string `yaml:"scopes"`
	Hash      string   `yaml:"hash"`
	Token     Secret   `yaml:"token"`
	Rate      int      `yaml:"rate"`
}

// alertsSpec tunes the alert engine: one entry per built-in kind.
type alertsSpec struct {
	DismissFor          string         `yaml:"dismiss_for"`
	ScanEvery           string         `yaml:"scan_every"`
	ActivatedTooOften   *alertRuleSpec `yaml:"activated_too_often"`
	UnusedEligibility   *alertRuleSpec `yaml:"unused_eligibility"`
	StandingAccess      *alertRuleSpec `yaml:"standing_access"`
	TooManyHolders      *alertRuleSpec `yaml:"too_many_holders"`
	RedundantAssignment *alertRuleSpec `yaml:"redundant_assignment"`
	NoMFAOrApproval     *alertRuleSpec `yaml:"no_mfa_or_approval"`
	OutsideElevate      *alertRuleSpec `yaml:"outside_elevate"`
	DeactivatedAccount  *alertRuleSpec `yaml:"deactivated_account"`
	ApprovalsStalled    *alertRuleSpec `yaml:"approvals_stalled"`
	RevokeFailing       *alertRuleSpec `yaml:"revoke_failing"`
	MFALocked           *alertRuleSpec `yaml:"mfa_locked"`
	LastAdminKept       *alertRuleSpec `yaml:"last_admin_kept"`
	GrantCompensation   *alertRuleSpec `yaml:"grant_compensation"`
	BreakGlassUsed      *alertRuleSpec `yaml:"break_glass_used"`
}

type alertRuleSpec struct {
	Enabled   *bool  `yaml:"enabled"`
	Severity  string `yaml:"severity"`
	Threshold *int   `yaml:"threshold"`
	Percent   *int   `yaml:"percent"`
	Period    string `yaml:"period"`
	Channel   string `yaml:"channel"`
}
