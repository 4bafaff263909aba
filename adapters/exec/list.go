package exec

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// maxList bounds the member list a program may print.
const maxList = 1 << 20

// Lister is a Program whose configuration says it can list its members
// (`list: true`): outside_elevate compares them with the role's holders.
type Lister struct {
	*Program
	role string
}

var _ core.MemberTarget = (*Lister)(nil)

// Listing returns p as a listing target of role.
func (p *Program) Listing(role string) *Lister { return &Lister{Program: p, role: role} }

// Platform says that Members returns principal ids.
func (l *Lister) Platform() string { return "" }

// Members runs the program with ELEVATE_ACTION=list and ELEVATE_ROLE set;
// it prints the principal ids that hold the role at the system, one a
// line, and exits 0.
func (l *Lister) Members(ctx context.Context) ([]string, error) {
	var out bytes.Buffer
	if err := l.exec(ctx, "list", core.Grant{Role: l.role}, &limited{w: &out, n: maxList}); err != nil {
		return nil, err
	}
	if out.Len() >= maxList {
		return nil, &core.TargetError{Summary: "listed too much", Err: fmt.Errorf("%s list: more than %d bytes of members", l.command, maxList)}
	}
	var members []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if id := strings.TrimSpace(sc.Text()); id != "" {
			members = append(members, id)
		}
	}
	return members, nil
}

// RemoveMember takes a principal the program listed out of the system: a
// run with ELEVATE_ACTION=revoke for them, as at the end of a window.
func (l *Lister) RemoveMember(ctx context.Context, id string) error {
	return l.Revoke(ctx, core.Grant{Principal: core.Principal{ID: id}, Role: l.role,
		Delivery: fmt.Sprintf("remove:%s:%s:%d", l.role, id, time.Now().UnixNano())})
}
