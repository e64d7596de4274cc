package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultAnswerTimeout is how long a registry may take to answer a request
// other than for a blob (see [Options.AnswerTimeout]).
const DefaultAnswerTimeout = time.Minute

// errNoAnswer: a registry did not answer a request in time.
var errNoAnswer = errors.New("no answer")

// noAnswerError is errNoAnswer with the time waited.
type noAnswerError struct{ after time.Duration }

func (e *noAnswerError) Error() string { return fmt.Sprintf("no answer within %s", e.after) }

func (e *noAnswerError) Unwrap() error { return errNoAnswer }

// answerDeadline is a transport that fails a request whose response
// headers have not come within after: the API check (GET /v2/), token
// requests and manifests. A registry that accepts connections and then
// says nothing (a hung process, a firewall that drops packets after the
// handshake) would otherwise hold the scan until --timeout. Blob requests
// are exempt: a pull-through cache may fetch a large layer upstream before
// it answers, and --timeout bounds them. Once the headers are in, the
// body is not limited.
type answerDeadline struct {
	inner http.RoundTripper
	after time.Duration
}

func (t answerDeadline) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/blobs/") {
		return t.inner.RoundTrip(req)
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	timer := time.AfterFunc(t.after, func() { cancel(&noAnswerError{after: t.after}) })
	resp, err := t.inner.RoundTrip(req.WithContext(ctx))
	if !timer.Stop() {
		// The deadline passed, whatever the inner transport returned.
		if err == nil {
			resp.Body.Close()
		}
		cancel(nil)
		return nil, context.Cause(ctx)
	}
	if err != nil {
		cancel(nil)
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: func() { cancel(nil) }}
	return resp, nil
}

// cancelOnClose releases a request's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel func()
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
