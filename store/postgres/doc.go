// Package postgres keeps elevate's audit archive in a PostgreSQL table
// (through pgx): events moved out of the store once older than audit.hot,
// one row per event keyed by its sequence number, holding the event's JSON
// exactly as archived and its chain hash, so that `audit verify` checks the
// archived chain byte for byte and continues into the store's.
package postgres
