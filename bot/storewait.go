package bot

import (
	"context"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// StoreWait is how long the store calls made for one chat command or click
// may wait in all (core.WithStoreWait). Chat adapters set it on the work
// they do for a user, so that while the store hangs the user is told so
// well within the interaction's deadline of 2.5 s to its first answer.
const StoreWait = 1500 * time.Millisecond

// AnswerWithin bounds the work of a command answered in its
// acknowledgement (ReadOnly), inside the platforms' 3 s: its store calls
// wait at most StoreWait in all, and the rest is rendering.
const AnswerWithin = 2500 * time.Millisecond

// Answer runs a ReadOnly command for its acknowledgement: within
// AnswerWithin, its store calls within StoreWait in all.
func (b *Bot) Answer(c core.Caller, cmd Command) (Message, error) {
	ctx, cancel := context.WithTimeout(core.WithStoreWait(context.Background(), StoreWait), AnswerWithin)
	defer cancel()
	return b.Run(ctx, c, cmd)
}
