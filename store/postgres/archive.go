package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/elevate-pim/elevate/core"
)

var _ core.AuditArchive = (*Archive)(nil)

// Table is the archive's table, in the connection's search_path (set
// search_path in the DSN to keep it in another schema).
const Table = "elevate_audit"

// migration creates the table. The event column is json, not jsonb: json
// keeps the text as written, so an event reads back byte for byte and its
// hash still verifies, while SQL can still query it (event->>'actor').
const migration = `CREATE TABLE IF NOT EXISTS ` + Table + ` (
	seq       bigint      PRIMARY KEY,
	time      timestamptz NOT NULL,
	prev_hash text        NOT NULL,
	hash      text        NOT NULL,
	event     json        NOT NULL
)`

// Archive is an audit archive in a PostgreSQL table. Archive appends in
// one transaction under a table lock, so two archivers cannot interleave
// and a crash leaves either the whole batch or none of it; reads page by
// sequence number (keyset), a chunk a query, in constant memory.
type Archive struct {
	pool *pgxpool.Pool

	mu       sync.Mutex
	migrated bool
}

// Open returns the archive at the PostgreSQL server dsn names (a URL or
// key=value DSN, as pgx takes it). It does not connect: the table is
// created by Migrate, or by the first call that needs it.
func Open(dsn string) (*Archive, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password and all.
		return nil, errors.New("audit.archive_postgres: the DSN cannot be parsed: use postgres://user:password@host:port/db or host=... key=value pairs")
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Archive{pool: pool}, nil
}

// String names the archive in messages, without the DSN's credentials.
func (a *Archive) String() string {
	c := a.pool.Config().ConnConfig
	return fmt.Sprintf("audit archive postgres://%s:%d/%s (table %s)", c.Host, c.Port, c.Database, Table)
}

// Close closes the connections.
func (a *Archive) Close() error {
	a.pool.Close()
	return nil
}

// Migrate creates the archive's table unless it exists. Replicas may run
// it at once: an advisory lock serializes them.
func (a *Archive) Migrate(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.migrated {
		return nil
	}
	err := pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, Table); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, migration)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: create table %s: %w", Table, err)
	}
	a.migrated = true
	return nil
}

// AuditHead returns the newest archived event's sequence number and hash,
// the zero head when nothing is archived.
func (a *Archive) AuditHead(ctx context.Context) (core.AuditHead, error) {
	if err := a.Migrate(ctx); err != nil {
		return core.AuditHead{}, err
	}
	return head(ctx, a.pool)
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func head(ctx context.Context, q querier) (core.AuditHead, error) {
	var h core.AuditHead
	err := q.QueryRow(ctx, `SELECT seq, hash FROM `+Table+` ORDER BY seq DESC LIMIT 1`).Scan(&h.Seq, &h.Hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return core.AuditHead{}, nil
	} else if err != nil {
		return core.AuditHead{}, fmt.Errorf("postgres: %w", err)
	}
	return h, nil
}

// AuditRange returns up to limit archived events after the sequence
// number after, in order, decoded from the JSON each row holds.
func (a *Archive) AuditRange(ctx context.Context, after int64, limit int) ([]core.AuditEvent, error) {
	if err := core.ValidateAuditRange(after, limit); err != nil {
		return nil, err
	}
	if err := a.Migrate(ctx); err != nil {
		return nil, err
	}
	rows, err := a.pool.Query(ctx, `SELECT seq, event::text FROM `+Table+` WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer rows.Close()
	out := make([]core.AuditEvent, 0, min(limit, core.AuditChunk))
	var seq int64
	var raw []byte
	for rows.Next() {
		if err := rows.Scan(&seq, &raw); err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
		var e core.AuditEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("audit event %d: the archived row is not an event (%v): the archive was altered", seq, err)
		}
		if e.Seq != seq {
			return nil, fmt.Errorf("audit event %d: the archived row holds event %d: the archive was altered", seq, e.Seq)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return out, nil
}

// Archive appends events, which must continue the archive (the first
// follows its head by sequence number and previous hash; ECONFLICT
// otherwise), in one transaction.
func (a *Archive) Archive(ctx context.Context, events []core.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	if err := a.Migrate(ctx); err != nil {
		return err
	}
	rows := make([][]any, len(events))
	for i, e := range events {
		raw, err := json.Marshal(&e)
		if err != nil {
			return fmt.Errorf("postgres: event %d: %w", e.Seq, err)
		}
		rows[i] = []any{e.Seq, e.Time, e.PrevHash, e.Hash, string(raw)}
	}
	err := pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		// Readers go on; a second archiver waits and then finds the
		// archive moved on (ECONFLICT), instead of interleaving.
		if _, err := tx.Exec(ctx, `LOCK TABLE `+Table+` IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		h, err := head(ctx, tx)
		if err != nil {
			return err
		}
		if err := core.ContinuesArchive(h, events); err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{Table}, []string{"seq", "time", "prev_hash", "hash", "event"}, pgx.CopyFromRows(rows))
		return err
	})
	if core.ErrorCode(err) == core.ECONFLICT {
		return err
	} else if err != nil {
		return fmt.Errorf("postgres: append events %d-%d: %w", events[0].Seq, events[len(events)-1].Seq, err)
	}
	return nil
}
