package api

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Paging: ?limit= (default 100, at most 1000) and ?cursor= (opaque; the
// nextCursor of the previous page).
const (
	defaultLimit = 100
	maxLimit     = 1000
)

func limitOf(q url.Values) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxLimit {
		return 0, fmt.Errorf("%w: limit %q: want a number from 1 to %d", errInvalid, v, maxLimit)
	}
	return n, nil
}

// cursor encodes a position of a listing of kind ("id", "name").
func cursor(kind, pos string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + pos))
}

// position decodes ?cursor= for a listing of kind; "" when absent.
func position(q url.Values, kind string) (string, error) {
	c := q.Get("cursor")
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", fmt.Errorf("%w: cursor %q is not one this listing returned", errInvalid, c)
	}
	k, pos, ok := strings.Cut(string(b), ":")
	if !ok || k != kind {
		return "", fmt.Errorf("%w: cursor %q is not one this listing returned", errInvalid, c)
	}
	return pos, nil
}

// idPosition decodes an id cursor (0 when absent).
func idPosition(q url.Values) (int64, error) {
	pos, err := position(q, "id")
	if err != nil || pos == "" {
		return 0, err
	}
	n, err := strconv.ParseInt(pos, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: cursor is not one this listing returned", errInvalid)
	}
	return n, nil
}
