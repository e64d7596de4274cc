// Package npm extracts npm packages from installed manifests
// (node_modules/<name>/package.json and node_modules/@scope/<name>/package.json,
// at any depth, pnpm's node_modules/.pnpm store included) and from the
// lockfiles of npm, yarn and pnpm:
//
//   - package-lock.json and npm-shrinkwrap.json, lockfileVersion 1, 2 and 3;
//   - yarn.lock, yarn classic (v1) and yarn berry (v2 and later, YAML);
//   - pnpm-lock.yaml, lockfile versions 5.x, 6.x and 9.x.
//
// An image usually holds both for the same application; the installed
// manifests are what runs, so a lockfile is reported only when no package
// is installed in the node_modules directory next to it (an image that
// ships a bundled application with its lockfile, say). The application's
// own root package is not reported, nor are packages a lockfile resolves
// from git, a local directory, a link or a workspace (their versions are
// not registry releases); npm aliases are reported under the real package
// name.
//
// A lockfile is read only where nothing is installed, so the packages only
// development needs (jest, webpack, type definitions) were not installed
// either: they are left out, as trivy does by default. package-lock.json
// and pnpm 5.x/6.x mark them ("dev": true); for pnpm 9.x, which marks
// nothing, the snapshots are walked from each importer's dependencies and
// optionalDependencies and from its devDependencies, and a package reached
// from the latter only is left out.
// yarn lockfiles (v1 and berry) do not record it: every package is
// reported. Installed manifests are reported whatever they were installed
// for: they are in the image.
//
// Files are reduced while the layer streams to "name\tversion" lines, so
// large manifests (old ones embed their README) and lockfiles cost little
// memory. The YAML lockfiles (yarn berry, pnpm) are refused over 64 MiB
// or about 2 million YAML nodes (some 27 MiB as pnpm writes them), since
// their document tree costs about 200 bytes a node, and when they hold
// aliases, which neither tool writes (see yaml.go).
package npm
