// Package npm extracts npm packages from installed manifests
// (node_modules/<name>/package.json and node_modules/@scope/<name>/package.json,
// at any depth, pnpm's node_modules/.pnpm store included, and the modules
// Debian's node-* packages install in node's global directories
// usr/share/nodejs, usr/lib/<triplet>/nodejs and usr/lib/nodejs) and from
// the lockfiles of npm, yarn and pnpm:
//
//   - package-lock.json and npm-shrinkwrap.json, lockfileVersion 1, 2 and 3;
//   - yarn.lock, yarn classic (v1) and yarn berry (v2 and later, YAML);
//   - pnpm-lock.yaml, lockfile versions 5.x, 6.x and 9.x, every document
//     of it (pnpm 12 writes its env lockfile, pnpm itself and the config
//     dependencies, ahead of the project's);
//   - bun.lock, bun's text lockfile (bun 1.2 and later; not the binary
//     bun.lockb of older versions).
//
// An image usually holds both for the same application; the installed
// manifests are what runs, so a lockfile is reported only when no package
// is installed in the node_modules directory next to it (an image that
// ships a bundled application with its lockfile, say). A lockfile inside an
// installed module (under node_modules, or under Debian's module
// directories: node-lodash ships lodash-cli's npm-shrinkwrap.json) is that
// module's development setup and is not read. The application's
// own root package is not reported, nor are packages a lockfile resolves
// from git, a local directory, a link or a workspace (their versions are
// not registry releases); npm aliases are reported under the real package
// name.
//
// # Development dependencies
//
// A lockfile is read only where nothing is installed, so the packages only
// development needs (jest, webpack, type definitions) were not installed
// either: they are left out, as trivy does by default. package-lock.json
// and pnpm 5.x/6.x mark them ("dev": true). The others mark nothing, and
// their dependency graph is walked from the projects (the root and the
// workspaces): from their dependencies, optionalDependencies and
// peerDependencies (production), and from their devDependencies; a
// package reached from the latter only is left out. The projects are
//
//   - pnpm 9.x's importers, through its snapshots;
//   - bun.lock's workspaces (bun installs the peers it lists);
//   - for yarn berry, the workspace entries of yarn.lock, which list a
//     workspace's dependencies of every kind together: the workspace's
//     package.json tells them apart (without it, they all count as
//     production ones);
//   - for yarn classic, whose yarn.lock lists no project, the package.json
//     next to yarn.lock and those of the workspaces its "workspaces" globs
//     match, their dependencies looked up by descriptor ("name@range")
//     among yarn.lock's keys.
//
// Where the package.json files are not in the image (or one cannot be
// read; or, for yarn classic, the root names workspaces and none is
// there), yarn.lock's packages are all reported, as trivy does. A
// package reached from no project (an incomplete lockfile) is kept: leaving
// a package out needs the lockfile to say so. Installed manifests are
// reported whatever they were installed for: they are in the image.
//
// # Platforms
//
// Lockfiles list the native packages of every platform
// (@esbuild/linux-arm64, @rollup/rollup-darwin-x64, fsevents, @swc/core-*),
// of which a package manager installs only the current platform's. When
// the image's platform is known ([extract.Input.Platform], from its
// config), a package whose os or cpu rule it out is left out, with npm's
// semantics (a list of allowed values, "!x" ruling x out), and so is a
// package that only such packages depend on (yarn berry adds node-gyp to
// fsevents). The C library (libc: glibc, musl) is checked too where the
// distribution tells it (alpine: musl; debian, ubuntu, rhel and others:
// glibc). Lockfiles record the platforms in package-lock.json's entries
// (lockfileVersion 2 and later; libc from npm 11), pnpm-lock.yaml's,
// bun.lock's and yarn berry's "conditions"; yarn classic records none. The
// package-lock and pnpm 5.x/6.x graphs are not walked: only the packages
// marked with a platform are left out, not what depends on them alone.
// A dir: scan has no platform: every package is kept.
//
// # Memory
//
// Files are reduced while the layer streams: an installed manifest to a
// "name\tversion" line (old manifests embed their README), a project's
// package.json to its dependencies, a lockfile to its dependency graph
// (packages, their dependencies and platforms, and its projects), so that
// they cost little memory; the walk runs at extraction. What is decoded
// whole is bounded: the YAML lockfiles (yarn berry, pnpm) are parsed an
// entry at a time when laid out as those tools write them, since a
// document tree costs about 200 bytes a node (a 5.5 MB pnpm-lock.yaml
// read whole peaked at 130 MB, in parts of 64 KB at 80 MB), and are
// otherwise refused over 64 MiB or about 2 million YAML nodes (some 27
// MiB as pnpm writes them); aliases and merge keys, which neither tool
// writes, are refused (see yaml.go);
// bun.lock, yarn classic's yarn.lock and the projects' package.json files
// are refused over 64 MiB ([extract.MaxManifestBytes]); package-lock.json
// is decoded token by token as the layer streams, whatever its size, and
// costs about its packages (see lockfile.go); and a lockfile of more
// packages than an image may hold ([extract.DefaultMaxPackages]) is
// refused as it is read (see graph.go). No more than
// [extract.Input.MaxPackages] packages are reported.
//
// A package found in a lockfile is attributed to the layers from which
// the lockfile yields it; its earlier versions are read without the
// package.json files, as the lockfile alone yields them (for yarn.lock,
// every package).
package npm
