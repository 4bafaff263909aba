package config

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/elevate-pim/elevate/core"
)

// DefaultAPIRate is a token's request rate limit (per second, with a burst
// of as many) when the file gives none.
const DefaultAPIRate = 20

// APISettings configures the HTTP API under /api/v1.
type APISettings struct {
	// Tokens are the bearer tokens the API accepts, in file order.
	Tokens []APIToken
}

// APIToken is one bearer token of the HTTP API. The file holds its SHA-256
// (Hash) or a reference to it (Token: ${ENV} or token_file), never the
// token itself.
type APIToken struct {
	Name      string     // audited as the source of every call made with it
	Principal string     // the principal it acts as; "" for a service identity
	Scopes    core.Scope // a service identity's scopes
	Hash      [32]byte   // SHA-256 of the token, when given as hash
	Token     Secret     // the token itself, when given by reference
	Rate      int        // requests per second (and burst)
}

// api checks the api section: each token has a unique name, acts as a
// known principal or holds known scopes (not both), and is given as a hash
// or a secret reference (exactly one).
func (l *loader) api(s apiSpec, principals map[string]*core.Principal) APISettings {
	var out APISettings
	names := map[string]bool{}
	for i, t := range s.Tokens {
		path := fmt.Sprintf("api.tokens[%d]", i)
		tok := APIToken{Name: t.Name, Principal: t.Principal, Token: t.Token, Rate: t.Rate}
		switch {
		case t.Name == "":
			l.problem(path+".name", "required: the token's name, audited with every call made with it")
		case names[t.Name]:
			l.problem(path+".name", "token %s is declared twice", quote(t.Name))
		default:
			l.checkID(path+".name", "token", t.Name)
		}
		names[t.Name] = true
		switch {
		case t.Principal != "" && len(t.Scopes) > 0:
			l.problem(path+".scopes", "a token acts as a principal or holds scopes, not both")
		case t.Principal != "":
			if _, ok := principals[t.Principal]; !ok {
				l.problem(path+".principal", "unknown principal %s", quote(t.Principal))
			}
		case len(t.Scopes) == 0:
			l.problem(path, "give the principal the token acts as, or its scopes (check, audit:read)")
		}
		for j, name := range t.Scopes {
			sc, ok := core.ParseScope(name)
			if !ok {
				l.problem(fmt.Sprintf("%s.scopes[%d]", path, j), "unknown scope %s: use check or audit:read", quote(name))
			}
			tok.Scopes |= sc
		}
		switch {
		case t.Hash != "" && t.Token.IsSet():
			l.problem(path+".hash", "give the token's hash or a reference to it (token: ${ENV} or token_file), not both")
		case t.Hash != "":
			hexed, ok := strings.CutPrefix(t.Hash, "sha256:")
			b, err := hex.DecodeString(hexed)
			if !ok || err != nil || len(b) != 32 {
				l.problem(path+".hash", "must be sha256: and 64 hex digits (sha256sum of the token)")
			}
			copy(tok.Hash[:], b)
		case !t.Token.IsSet():
			l.problem(path+".hash", "required: the token's hash (sha256:HEX), or token: ${ENV} or token_file")
		}
		switch {
		case t.Rate < 0:
			l.problem(path+".rate", "must be a positive number of requests per second")
		case t.Rate == 0:
			tok.Rate = DefaultAPIRate
		}
		out.Tokens = append(out.Tokens, tok)
	}
	return out
}
