package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// tokenSource holds one client's registry token and renews it.
type tokenSource struct {
	hc             *http.Client
	server         string
	user, password string
	scopes         []string

	realm, service string
	token          string
	expires        time.Time
	fetched        int // tokens fetched, for the report
}

// renewBefore is how long before its expiry a token is replaced.
const renewBefore = 30 * time.Second

// get returns a valid token, fetching one when there is none or it is
// about to expire.
func (ts *tokenSource) get(ctx context.Context) (string, error) {
	if ts.token != "" && time.Until(ts.expires) > renewBefore {
		return ts.token, nil
	}
	if ts.realm == "" {
		if err := ts.discover(ctx); err != nil {
			return "", err
		}
	}
	q := url.Values{"service": {ts.service}, "scope": ts.scopes}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.realm+"?"+q.Encode(), nil)
	if err != nil {
		return "", fmt.Errorf("token request: %w", err)
	}
	req.SetBasicAuth(ts.user, ts.password)
	resp, err := ts.hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("token request: %w", err)
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token endpoint: status %d", resp.StatusCode)
	}
	var tr struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		return "", fmt.Errorf("token response: %w", err)
	}
	ts.token = tr.Token
	if ts.token == "" {
		ts.token = tr.AccessToken
	}
	if ts.token == "" {
		return "", errors.New("token response without a token")
	}
	// The Docker token spec: no expires_in means 60 s.
	if tr.ExpiresIn <= 0 {
		tr.ExpiresIn = 60
	}
	ts.expires = time.Now().Add(time.Duration(tr.ExpiresIn) * time.Second)
	ts.fetched++
	return ts.token, nil
}

// invalidate drops the token after the registry refused it.
func (ts *tokenSource) invalidate() { ts.token = "" }

// discover learns the token realm and service from the challenge of an
// unauthenticated GET /v2/.
func (ts *tokenSource) discover(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.server+"/v2/", nil)
	if err != nil {
		return fmt.Errorf("challenge: %w", err)
	}
	resp, err := ts.hc.Do(req)
	if err != nil {
		return fmt.Errorf("challenge: %w", err)
	}
	drain(resp)
	if resp.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("GET /v2/ without credentials: status %d, want 401", resp.StatusCode)
	}
	scheme, params := parseChallenge(resp.Header.Get("WWW-Authenticate"))
	if !strings.EqualFold(scheme, "bearer") || params["realm"] == "" {
		return fmt.Errorf("GET /v2/: challenge %q is not a Bearer challenge with a realm", resp.Header.Get("WWW-Authenticate"))
	}
	ts.realm, ts.service = params["realm"], params["service"]
	return nil
}

// parseChallenge splits a WWW-Authenticate value of one challenge into its
// scheme and auth-params (RFC 7235; quoted strings with backslash escapes).
func parseChallenge(h string) (string, map[string]string) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	params := map[string]string{}
	for rest = strings.TrimSpace(rest); rest != ""; {
		key, after, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		key = strings.ToLower(strings.TrimSpace(key))
		after = strings.TrimLeft(after, " \t")
		var val string
		if strings.HasPrefix(after, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(after) && after[i] != '"'; i++ {
				if after[i] == '\\' && i+1 < len(after) {
					i++
				}
				b.WriteByte(after[i])
			}
			val, rest = b.String(), after[min(i+1, len(after)):]
		} else {
			val, rest, _ = strings.Cut(after, ",")
			val = strings.TrimSpace(val)
		}
		params[key] = val
		rest = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(rest), ","))
	}
	return scheme, params
}
