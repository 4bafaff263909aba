package slack_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
)

// TestMFAEnrollDMsQRCode: `mfa enroll` uploads the QR code PNG to the
// caller's DM with the secret; the ephemeral reply and the logs hold no secret.
func TestMFAEnrollDMsQRCode(t *testing.T) {
	e := newEnv(t, options{})
	_, resp := e.slash(uAlice, "mfa enroll")
	reply := responseText(t, e.waitResponse(resp))
	if !strings.Contains(reply, "Sent elevate-mfa.png to your direct messages") {
		t.Errorf("reply = %q", reply)
	}
	files := e.fake.Files()
	if len(files) != 1 {
		t.Fatalf("uploads = %+v, want one", files)
	}
	f := files[0]
	if f.Channel != slacktest.DM(uAlice) || f.Name != "elevate-mfa.png" || !bytes.HasPrefix(f.Data, []byte("\x89PNG")) {
		t.Errorf("upload = %s to %s (%d bytes), want a PNG in alice's DM", f.Name, f.Channel, len(f.Data))
	}
	_, after, ok := strings.Cut(f.InitialComment, "Secret: ")
	secret, _, _ := strings.Cut(after, "\n")
	if !ok || len(secret) < 16 {
		t.Fatalf("comment = %q, want the secret", f.InitialComment)
	}
	if strings.Contains(reply, secret) || strings.Contains(e.logs.String(), secret) {
		t.Error("the TOTP secret leaked into the reply or the logs")
	}
	if calls := e.fake.Calls("files.getUploadURLExternal", "upload", "files.completeUploadExternal"); len(calls) != 3 {
		t.Errorf("upload calls = %d, want the three steps of files v2", len(calls))
	}
}

// TestAuditUploadsCSV: `audit` uploads the CSV to an admin's DM; a
// non-reader is refused ephemerally and gets nothing.
func TestAuditUploadsCSV(t *testing.T) {
	e := newEnv(t, options{})
	e.slash(uAlice, "staging for 1h")
	e.settle()
	_, resp := e.slash(uMallory, "audit")
	if got := responseText(t, e.waitResponse(resp)); !strings.Contains(got, "⛔") {
		t.Errorf("mallory's reply = %q, want refused", got)
	}
	_, resp = e.slash(uDana, "audit role staging")
	e.waitResponse(resp)
	files := e.fake.Files()
	if len(files) != 1 || files[0].Channel != slacktest.DM(uDana) || files[0].Name != "elevate-audit.csv" {
		t.Fatalf("uploads = %+v, want the CSV in dana's DM", files)
	}
	csv := string(files[0].Data)
	if !strings.Contains(csv, "activate") || !strings.Contains(csv, "alice") {
		t.Errorf("CSV = %q, want alice's activation", csv)
	}
}
