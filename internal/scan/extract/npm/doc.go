// Package npm extracts npm packages from installed manifests
// (node_modules/<name>/package.json and node_modules/@scope/<name>/package.json,
// at any depth) and from lockfiles (package-lock.json and
// npm-shrinkwrap.json, lockfileVersion 1, 2 and 3).
//
// An image usually holds both for the same application; the installed
// manifests are what runs, so a lockfile is reported only when no package
// is installed in the node_modules directory next to it (an image that
// ships a bundled application with its lockfile, say). The application's
// own root package is not reported.
//
// Files are reduced while the layer streams to "name\tversion" lines, so
// large manifests (old ones embed their README) and lockfiles cost little
// memory.
package npm
