// Package redis is elevate's persistent store: a core.Store kept in Redis,
// where an active window is a key whose TTL is the window, so that "does P
// hold R now?" is answered by Redis itself, even while every bot replica is
// down. Any number of replicas may share one Redis deployment: every state
// transition is one Lua script that checks all of a Change's expectations
// and then writes all of it, and due jobs are claimed by a script too.
//
// # Key layout
//
// Every key starts with the hash tag {<prefix>} (WithPrefix, default
// "elevate"), so that every key lives in one hash slot and each script runs
// unchanged on Redis Cluster. Below, P is the prefix, <pr> a principal/role
// pair written as principal + "/" + role with "%" and "/" in either part
// escaped as %25 and %2F:
//
//	{P}:req:<id>       STRING  request JSON, its version included
//	{P}:open           SET     ids of the requests whose state is not final
//	{P}:slot:<pr>      STRING  id of the open request holding the slot
//	{P}:win:<pr>       STRING  window JSON {"req","start","end"} (times in unix ms),
//	                           with PX = the window's TTL: its existence is the truth
//	{P}:winidx:<role>  SET     principals that had a window of role; members
//	                           whose window key is gone are pruned on read
//	{P}:asg            HASH    assignment key → assignment JSON
//	{P}:rev            STRING  holders revision counter (INCR)
//	{P}:mfa:<principal> STRING MFA record JSON, its version included
//	{P}:jobs           ZSET    job id, scored by due time, or lease end while
//	                           claimed (unix ms)
//	{P}:jobdata        HASH    job id → job JSON, with "m": the due time in unix ms
//	{P}:audit          STREAM  one entry per audit event, field "e" = event JSON;
//	                           never trimmed
//	{P}:audithead      STRING  JSON of core.AuditHead, the newest chained event's seq and hash
//	{P}:auditpending   STREAM  events appended but not yet chained (entry id 0-SEQ,
//	                           field "e"); the sealer moves them to {P}:audit
//	{P}:auditseq       STRING  the newest sequence number given to an event
//	{P}:once           ZSET    de-duplication keys (Once), scored by when they
//	                           may be forgotten (unix ms by the store's clock)
//	{P}:applied        ZSET    ids of the Changes applied in the last ten minutes
//	                           (by the store's clock), so a re-sent script is a no-op
//
// The two de-duplication sets are timed by the store's clock (WithClock),
// like everything else core keeps, and each write forgets a few members
// whose time has passed: they hold what was seen within its ttl, also
// under a fake clock that runs ahead of Redis's.
//
// A claimed job is one whose score differs from its due time: a claim moves
// the score to now+lease, which is always after a due time at or before now.
//
// # Audit chain
//
// Apply gives a Change's audit events their sequence numbers and appends
// them, unchained, to {P}:auditpending; the sealer (seal.go) chains them in
// Go (core.ChainHash) and moves them into {P}:audit in one script that
// checks the head is still the one it chained from. Sealers of several
// replicas may race: the loser re-reads, and nothing is chained twice.
package redis
