// Package totp implements core.OTP with github.com/pquerna/otp: RFC 6238
// codes, SHA-1, 6 digits, 30-second steps, one step of clock skew.
package totp

import (
	"bytes"
	"crypto/subtle"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/elevate-pim/elevate/core"
)

const period = 30

// TOTP is the authenticator-app compatible core.OTP.
type TOTP struct{}

var _ core.OTP = TOTP{}

// Generate makes a new secret for account with its otpauth:// URL and a 256×256 QR PNG.
func (TOTP) Generate(issuer, account string) (core.Enrollment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: period})
	if err != nil {
		return core.Enrollment{}, err
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return core.Enrollment{}, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return core.Enrollment{}, err
	}
	return core.Enrollment{Secret: key.Secret(), URL: key.URL(), PNG: buf.Bytes()}, nil
}

// Match returns the step (Unix time / 30 s) at which code is valid for
// secret, trying t's step and one step either side. The step lets core
// refuse a code that was already used.
func (TOTP) Match(secret, code string, t time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	for _, skew := range []int64{0, -1, 1} {
		step := t.Unix()/period + skew
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*period, 0), totp.ValidateOpts{
			Period: period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
		})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// Code returns the code for secret at t; tests and the console demo use it.
func Code(secret string, t time.Time) (string, error) {
	return totp.GenerateCode(secret, t)
}
