// Package console serves drydock's web console on / : server-rendered HTML
// (html/template, one embedded stylesheet, no JavaScript) showing the
// advisory database state, the caller's registries with their assessment,
// and the caller's images. Every read is filtered by the caller's
// subscriptions (and repository scope) before anything is rendered.
package console
