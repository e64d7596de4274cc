package registry

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/drydock/drydock/internal/access"
)

// parsePageSize reads the n query parameter: def when absent, an error when
// it is not a non-negative integer, and at most maxPageSize.
func parsePageSize(q url.Values, def int) (int, error) {
	if !q.Has("n") {
		return def, nil
	}
	n, err := strconv.Atoi(q.Get("n"))
	if err != nil || n < 0 {
		return 0, newError(http.StatusBadRequest, codeUnsupported, "n must be a non-negative integer", err).
			withDetail(map[string]string{"n": q.Get("n")})
	}
	return min(n, maxPageSize), nil
}

// nextLink is the RFC 5988 Link header to the page after last.
func nextLink(path string, n int, last string) string {
	v := url.Values{}
	v.Set("n", strconv.Itoa(n))
	v.Set("last", last)
	return "<" + path + "?" + v.Encode() + `>; rel="next"`
}

// writeJSON writes v as a JSON response.
func writeJSON(w *responseWriter, status int, contentType string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}

type tagList struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

// serveTags answers GET /v2/<name>/tags/list[?n=&last=]: tags in lexical
// order after last; without n every tag. When more tags follow, a Link
// header names the next page.
func (g *Registry) serveTags(w *responseWriter, r *http.Request, rt route) error {
	ctx := r.Context()
	q := r.URL.Query()
	n, err := parsePageSize(q, -1)
	if err != nil {
		return err
	}
	repo, err := g.repoForRead(ctx, rt.Name)
	if err != nil {
		return err
	}
	tags := []string{}
	if n != 0 {
		limit := n
		if n > 0 {
			limit = n + 1 // one more tells whether a next page exists
		}
		got, err := g.meta.ListTags(ctx, repo.ID, q.Get("last"), limit)
		if err != nil {
			return fmt.Errorf("list tags: %w", err)
		}
		if got != nil {
			tags = got
		}
		if n > 0 && len(tags) > n {
			tags = tags[:n]
			w.Header().Set("Link", nextLink("/v2/"+rt.Name+"/tags/list", n, tags[n-1]))
		}
	}
	return writeJSON(w, http.StatusOK, "application/json", tagList{Name: rt.Name, Tags: tags})
}

type catalog struct {
	Repositories []string `json:"repositories"`
}

// serveCatalog answers GET /v2/_catalog[?n=&last=]: the repositories of the
// caller's subscriptions (only those it may read), defaultCatalogPageSize at
// a time unless n says otherwise, with a Link header to the next page.
func (g *Registry) serveCatalog(w *responseWriter, r *http.Request, _ route) error {
	ctx := r.Context()
	q := r.URL.Query()
	n, err := parsePageSize(q, defaultCatalogPageSize)
	if err != nil {
		return err
	}
	ident := access.FromContext(ctx)
	repos := []string{}
	last := q.Get("last")
	more := false
	if n > 0 && ident != nil && (ident.Subscriptions == nil || len(ident.Subscriptions) > 0) {
		// Fetch one more than asked to learn whether a next page exists;
		// loop only when a repository restriction filtered some out.
		for len(repos) <= n {
			page, err := g.meta.ListRepositories(ctx, ident.Subscriptions, last, n+1)
			if err != nil {
				return fmt.Errorf("list repositories: %w", err)
			}
			for _, name := range page {
				if ident.CanReadRepository(name) {
					repos = append(repos, name)
				}
			}
			if len(page) < n+1 {
				break
			}
			last = page[len(page)-1]
		}
		if len(repos) > n {
			repos, more = repos[:n], true
		}
	}
	if more {
		w.Header().Set("Link", nextLink("/v2/_catalog", n, repos[n-1]))
	}
	return writeJSON(w, http.StatusOK, "application/json", catalog{Repositories: repos})
}
