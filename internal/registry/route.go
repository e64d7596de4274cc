package registry

import (
	"net/http"
	"strings"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/oci"
)

// routeKind names the endpoints of the distribution API.
type routeKind int

const (
	routeBase      routeKind = iota + 1 // /v2/
	routeCatalog                        // /v2/_catalog
	routeBlob                           // /v2/<name>/blobs/<digest>
	routeUploadNew                      // /v2/<name>/blobs/uploads/
	routeUpload                         // /v2/<name>/blobs/uploads/<id>
	routeManifest                       // /v2/<name>/manifests/<reference>
	routeTags                           // /v2/<name>/tags/list
	routeReferrers                      // /v2/<name>/referrers/<digest>
)

var routeNames = map[routeKind]string{
	routeBase:      "base",
	routeCatalog:   "catalog",
	routeBlob:      "blob",
	routeUploadNew: "upload_start",
	routeUpload:    "upload",
	routeManifest:  "manifest",
	routeTags:      "tags",
	routeReferrers: "referrers",
}

func (k routeKind) String() string {
	if s, ok := routeNames[k]; ok {
		return s
	}
	return "unknown"
}

// allowed lists the methods each endpoint answers (HEAD where GET is).
var allowed = map[routeKind][]string{
	routeBase:      {http.MethodGet, http.MethodHead},
	routeCatalog:   {http.MethodGet},
	routeBlob:      {http.MethodGet, http.MethodHead, http.MethodDelete},
	routeUploadNew: {http.MethodPost},
	routeUpload:    {http.MethodGet, http.MethodPatch, http.MethodPut, http.MethodDelete},
	routeManifest:  {http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete},
	routeTags:      {http.MethodGet},
	routeReferrers: {http.MethodGet},
}

// route is a parsed request path. Only the fields of its kind are set, and
// they are validated: Name is a valid repository name, Digest a supported
// digest, Tag a valid tag.
type route struct {
	Kind   routeKind
	Name   string     // repository
	Digest oci.Digest // blob, referrers subject, or manifest reference by digest
	Tag    string     // manifest reference by tag
	Upload string     // upload session id
}

// Reference is the manifest reference as the client wrote it.
func (rt route) Reference() string {
	if rt.Tag != "" {
		return rt.Tag
	}
	return rt.Digest.String()
}

// parseRoute parses an URL path under /v2/. Repository names contain '/', so
// the path is read from its end: the last one or two elements say which
// endpoint it is and everything before them is the name. A name may itself
// contain "blobs" or "manifests" elements; the endpoint suffix always wins.
//
// It never panics; malformed input is a *apiError (NAME_INVALID, TAG_INVALID,
// DIGEST_INVALID, or 404 for paths that are no endpoint).
func parseRoute(path string) (route, error) {
	rest, ok := strings.CutPrefix(path, "/v2")
	if !ok {
		return route{}, errNoEndpoint()
	}
	if rest == "" || rest == "/" {
		return route{Kind: routeBase}, nil
	}
	rest, ok = strings.CutPrefix(rest, "/")
	if !ok {
		return route{}, errNoEndpoint()
	}
	if rest == "_catalog" {
		return route{Kind: routeCatalog}, nil
	}
	segs := strings.Split(rest, "/")
	n := len(segs)
	var (
		rt      route
		nameEnd int // number of leading segments that form the name
		ref     string
	)
	switch {
	case n >= 3 && segs[n-2] == "tags" && segs[n-1] == "list":
		rt.Kind, nameEnd = routeTags, n-2
	case n >= 4 && segs[n-3] == "blobs" && segs[n-2] == "uploads":
		if segs[n-1] == "" {
			rt.Kind = routeUploadNew
		} else {
			rt.Kind, rt.Upload = routeUpload, segs[n-1]
		}
		nameEnd = n - 3
	case n >= 3 && segs[n-2] == "blobs" && segs[n-1] == "uploads":
		rt.Kind, nameEnd = routeUploadNew, n-2
	case n >= 2 && segs[n-2] == "blobs":
		rt.Kind, nameEnd, ref = routeBlob, n-2, segs[n-1]
	case n >= 2 && segs[n-2] == "manifests":
		rt.Kind, nameEnd, ref = routeManifest, n-2, segs[n-1]
	case n >= 2 && segs[n-2] == "referrers":
		rt.Kind, nameEnd, ref = routeReferrers, n-2, segs[n-1]
	default:
		return route{}, errNoEndpoint()
	}
	if nameEnd < 1 {
		return route{}, errNoEndpoint()
	}
	rt.Name = strings.Join(segs[:nameEnd], "/")
	if err := oci.ValidateName(rt.Name); err != nil {
		return route{}, errNameInvalid(rt.Name, err)
	}
	switch rt.Kind {
	case routeBlob, routeReferrers:
		d, err := oci.ParseDigest(ref)
		if err != nil {
			return route{}, errDigestInvalid("invalid digest", err).withDetail(map[string]string{"digest": ref})
		}
		rt.Digest = d
	case routeManifest:
		if oci.IsDigestReference(ref) {
			d, err := oci.ParseDigest(ref)
			if err != nil {
				return route{}, errDigestInvalid("invalid digest", err).withDetail(map[string]string{"digest": ref})
			}
			rt.Digest = d
		} else {
			if err := oci.ValidateTag(ref); err != nil {
				return route{}, newError(http.StatusBadRequest, codeTagInvalid, "invalid tag", err).
					withDetail(map[string]string{"tag": ref})
			}
			rt.Tag = ref
		}
	case routeUpload:
		if !validUploadID(rt.Upload) {
			return route{}, errUploadUnknown(rt.Upload)
		}
	}
	return rt, nil
}

// validUploadID bounds what an upload id from a URL may look like before it
// reaches a store (which checks its own format as well).
func validUploadID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func errNoEndpoint() *apiError {
	return newError(http.StatusNotFound, codeUnsupported, "no such endpoint in the distribution API", nil)
}

// accessFor returns what a request on rt with method needs, for the one call
// to the Authorizer made before dispatch. Optional access (the source of a
// cross-repository mount, push rights for automatic mounts on HEAD) is asked
// for separately by the handler that may use it, and only narrows what the
// handler does; it never fails the request.
func accessFor(rt route, method string) []access.Request {
	one := func(a ...access.Action) []access.Request {
		return []access.Request{{Repository: rt.Name, Actions: a}}
	}
	switch rt.Kind {
	case routeBase:
		return nil
	case routeCatalog:
		return []access.Request{{Actions: []access.Action{access.ActionCatalog}}}
	case routeBlob, routeManifest:
		switch method {
		case http.MethodDelete:
			return one(access.ActionDelete)
		case http.MethodPut:
			return one(access.ActionPull, access.ActionPush)
		}
		return one(access.ActionPull)
	case routeUploadNew, routeUpload:
		return one(access.ActionPull, access.ActionPush)
	case routeTags, routeReferrers:
		return one(access.ActionPull)
	}
	return nil
}
