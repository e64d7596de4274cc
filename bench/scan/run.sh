#!/usr/bin/env bash
# bench/scan/run.sh — `drydock scan` side by side with osv-scanner (findings),
# syft and trivy (package inventories), same images, same advisory data,
# offline, measured in the same run.
#
# Usage: bench/scan/run.sh
# Env:   DRYDOCK_BENCH_CACHE=DIR  peers, root filesystems and images are built
#                                 here once and reused (default ~/.cache/drydock-bench)
#        RUNS=N                   timed runs per tool and image (default 5; median)
#        DRYDOCK_BIN=path         measure this drydock binary instead of building one
#        SKIP_BIG=1               skip the 2 GB image (its build takes a few minutes)
#        SKIP_MANY=1              skip the image of a million small files
#        RUNS_MANY=N              timed runs on it (default 1: syft and osv-scanner
#                                 take ~50 s and 1-4 GB each)
#        SKIP_BIGDB=1             skip the runs with a real-size advisory database
#        IMAGES_ONLY=1            build the images and stop (no peers, no runs)
#        DIFF_ONLY=1              no timed runs: each tool once per image, and the diff
#        NO_APPEND=1              do not append the results to bench/RESULTS.md
#        SYFT_VERSION, TRIVY_VERSION, OSV_SCANNER_VERSION   the pinned peers
#
# What it does:
#   1. starts building the pinned peers first (slow: several minutes each on 2
#      cores), into $CACHE/bin/<tool>-<version>, from the Go module proxy:
#      osv-scanner needs GOTOOLCHAIN=go1.27.0 and trivy GOEXPERIMENT=jsonv2;
#   2. builds drydock and bench/scan (the helpers: mkimage, floor, osvdb,
#      compare, table; see main.go);
#   3. builds the images as docker save archives (which are OCI layout
#      archives too, so every tool reads the same bytes) under $CACHE/images:
#        debian-gz / debian-tar   debootstrap --variant=minbase bookworm, one
#                                 layer, gzip / uncompressed (apt's .deb cache,
#                                 lists and binary caches left out, as Debian's
#                                 images do);
#        debian-zst               the same layer zstd-compressed (klauspost's
#                                 default level): not in the issue's set, timed
#                                 so that the zstd path has a floor too;
#        lang                     ~580 MB uncompressed in 4 gzip layers: that
#                                 Debian rootfs; an apt layer (python3-django,
#                                 numpy, requests, ... and Debian's java libraries,
#                                 installed by apt-get in a chroot, dpkg status
#                                 included); /app/node_modules from the npm
#                                 registry (express 4.17.1, webpack 4, ...); Go
#                                 binaries built with go1.20.14 from old module
#                                 versions (crane, yq, dlv, golangci-lint, the vulnfixture);
#        case-*                   the real cases of shared/testdata/manifests
#                                 (Alpine 3.4.6 and 3.20.3, the npm express app,
#                                 Debian's python and java packages, the Go
#                                 vulnfixture), one gzip layer each;
#        big                      ~2 GB (1.96 GB uncompressed) in 13 gzip layers
#                                 (the lang content at the root and three more
#                                 times under /opt): drydock's peak RSS only;
#        many                     the Debian image plus a gzip layer of 1,000,000
#                                 12-byte files (1 GB uncompressed): per-entry
#                                 costs; timed RUNS_MANY times with the floor,
#                                 verify row and every peer
#   4. imports shared/testdata/vulndb into drydock's database (`drydock db
#      import`) and builds osv-scanner's offline database from the same files
#      (bench/scan osvdb); unless SKIP_BIGDB=1, also a real-size database:
#      the same files plus bench/vulndb's 500,000 generated OSV records
#      (130,116 packages, cached in $CACHE), since the test data's 12,415
#      records hide what opening and searching a full database costs;
#   5. times every tool on debian-gz, debian-tar, debian-zst and lang, RUNS times,
#      alternating tools within a run, each from a cold page cache (sync; echo
#      3 > /proc/sys/vm/drop_caches; said so when not permitted) and with fresh
#      tool caches (drydock: an empty layer cache, then drydock-warm-rescan:
#      the same image again with that cache filled, page cache warm):
#      /usr/bin/time gives wall time, CPU time and peak RSS. The
#      floor is
#      `bench/scan floor`: the layers decompressed and discarded with each of
#      klauspost gzip, compress/gzip, pgzip and drydock's own gunzip (one
#      stream on both cores), and two layers at once for the multi-layer
#      image; the fastest is the floor. verify-* rows (floor -sha256) also
#      hash the decompressed layers beside decoding, as the diff_id check
#      does: printed for reference, not the floor. start-drydock and
#      start-floor (debian-tar rows) are the two binaries' cold start-up
#      alone (drydock version; the floor on an 18 KB image), for
#      reference: the part of the floor ratio no scanning work explains.
#      Both binaries are built as `go run` builds them (-ldflags='-s -w').
#      drydock alone scans the
#      2 GB image twice (peak RSS). drydock-bigdb and
#      drydock-bigdb-warm-rescan are drydock and drydock-warm-rescan with
#      the real-size database, on every image and on the 2 GB one;
#   6. diffs the outputs: packages vs syft and trivy, findings vs osv-scanner,
#      every difference classified by bench/scan/reasons.tsv (UNEXPLAINED
#      otherwise);
#   7. prints the table and the diff, writes them to bench/out/scan/, and
#      adds a dated section to the scan part of bench/RESULTS.md.
#
# Tools run with: drydock scan --format json (inventory and matching against
# the imported database); syft scan -o cyclonedx-json; trivy image --input
# --format cyclonedx --offline-scan (SBOM mode: no vulnerability database;
# an empty Java DB, see step 4); osv-scanner scan image --archive --offline
# --local-db-path --all-vulns (every advisory of a package, as drydock
# reports them; exit code 1 means "found some"). The Alpine cases get the
# etc/apk/arch and repositories files of a real root filesystem, which
# osv-scanner needs. Timings are informational:
# nothing here fails on a slow figure. Needs root (debootstrap, chroot,
# drop_caches), ~15 GB of disk, the Debian archive, the npm registry and the
# Go module proxy on the first run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$(pwd)
CACHE=${DRYDOCK_BENCH_CACHE:-$HOME/.cache/drydock-bench}
RUNS=${RUNS:-5}
SYFT_VERSION=${SYFT_VERSION:-v1.57.1}
TRIVY_VERSION=${TRIVY_VERSION:-v0.74.0}
OSV_SCANNER_VERSION=${OSV_SCANNER_VERSION:-v2.6.0}
TESTDATA=$(cd "$REPO/../shared/testdata" 2>/dev/null && pwd || true)
[[ -n "$TESTDATA" ]] || TESTDATA=/work/shared/testdata
OUT="$REPO/bench/out/scan"
BIN="$OUT/bin"
IMAGES="$CACHE/images"
ROOTFS="$CACHE/rootfs"
STAGE="$CACHE/stage"
mkdir -p "$BIN" "$IMAGES" "$ROOTFS" "$STAGE" "$CACHE/bin" "$CACHE/logs"

log() { printf 'bench/scan: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
[[ -d "$TESTDATA/vulndb" ]] || die "no shared test data at $TESTDATA"
[[ -x /usr/bin/time ]] || die "needs GNU time: apt-get install time"
for t in debootstrap rsync npm dpkg-deb sqlite3 jq; do
	command -v "$t" >/dev/null || die "needs $t (apt-get install debootstrap rsync npm sqlite3 jq)"
done

# --- 1. peers (started first, in the background) ---------------------------
SYFT="$CACHE/bin/syft-$SYFT_VERSION/syft"
TRIVY="$CACHE/bin/trivy-$TRIVY_VERSION/trivy"
OSV="$CACHE/bin/osv-scanner-$OSV_SCANNER_VERSION/osv-scanner"
build_peer() { # binary, env..., package@version
	local bin=$1 pkg=${*: -1}
	local envs=("${@:2:$#-2}")
	[[ -x "$bin" ]] && return 0
	log "building $pkg (log: $CACHE/logs/$(basename "$bin").log)"
	env "${envs[@]}" GOBIN="$(dirname "$bin")" CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
		go install "$pkg" >"$CACHE/logs/$(basename "$bin").log" 2>&1
}
peers_pid=
[[ "${IMAGES_ONLY:-0}" == 1 ]] || (
	build_peer "$OSV" GOTOOLCHAIN=go1.27.0 "github.com/google/osv-scanner/v2/cmd/osv-scanner@$OSV_SCANNER_VERSION"
	build_peer "$TRIVY" GOEXPERIMENT=jsonv2 "github.com/aquasecurity/trivy/cmd/trivy@$TRIVY_VERSION"
	build_peer "$SYFT" "github.com/anchore/syft/cmd/syft@$SYFT_VERSION"
) &
[[ "${IMAGES_ONLY:-0}" == 1 ]] || peers_pid=$!

# --- 2. drydock and the helpers ---------------------------------------------
if [[ -n "${DRYDOCK_BIN:-}" ]]; then
	cp "$DRYDOCK_BIN" "$BIN/drydock"
	what="drydock binary $DRYDOCK_BIN"
else
	log "building drydock"
	# As the README's `go run ./cmd/drydock` builds it: without the symbol
	# table and DWARF (-s -w), which only debuggers read. The floor's
	# helper is built the same way.
	go build -ldflags='-s -w' -o "$BIN/drydock" ./cmd/drydock
	what="drydock $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	git status --porcelain -- cmd internal 2>/dev/null | grep -qv '^??' && what+=" (uncommitted changes)"
fi
go build -ldflags='-s -w' -o "$BIN/scan-bench" ./bench/scan
SB="$BIN/scan-bench"
DD="$BIN/drydock"

# --- 3. images ----------------------------------------------------------------
APT_EXCLUDES=(-exclude 'var/cache/apt/archives/*.deb' -exclude 'var/cache/apt/*.bin' -exclude 'var/lib/apt/lists/*')
DEB="$ROOTFS/bookworm-minbase"
if [[ ! -d "$DEB" ]]; then
	log "debootstrap --variant=minbase bookworm"
	rm -rf "$DEB.tmp"
	debootstrap --variant=minbase bookworm "$DEB.tmp" http://deb.debian.org/debian >"$CACHE/logs/debootstrap.log" 2>&1
	mv "$DEB.tmp" "$DEB"
fi
mkimg() { # name, mkimage args...
	local name=$1
	shift
	[[ -f "$IMAGES/$name.tar" ]] && return 0
	log "building image $name"
	"$SB" mkimage -archive "$IMAGES/$name.tar" -ref "bench/$name:latest" "$@"
}
mkimg debian-gz -compress gzip "${APT_EXCLUDES[@]}" "$DEB"
mkimg debian-tar -compress none "${APT_EXCLUDES[@]}" "$DEB"
mkimg debian-zst -compress zstd "${APT_EXCLUDES[@]}" "$DEB"

# The apt layer: packages installed by apt-get in a chroot of a copy of the
# base, then the files that differ from the base (rsync --compare-dest).
LANG_ROOT="$ROOTFS/bookworm-lang"
APT_PKGS=(python3-django python3-numpy python3-requests python3-yaml python3-jinja2 python3-urllib3
	python3-cryptography python3-pil python3-lxml liblog4j1.2-java libyaml-snake-java
	libjackson2-databind-java libcommons-text-java libguava-java libcommons-collections3-java
	liblog4j2-java libnetty-java libxstream-java)
if [[ ! -d "$LANG_ROOT" ]]; then
	log "apt-get install ${#APT_PKGS[@]} python and java packages in a chroot"
	rm -rf "$LANG_ROOT.tmp"
	cp -a "$DEB" "$LANG_ROOT.tmp"
	cp /etc/resolv.conf "$LANG_ROOT.tmp/etc/resolv.conf"
	chroot "$LANG_ROOT.tmp" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "${APT_PKGS[@]}" >"$CACHE/logs/chroot-apt.log" 2>&1
	cp -a "$DEB/etc/resolv.conf" "$LANG_ROOT.tmp/etc/resolv.conf"
	mv "$LANG_ROOT.tmp" "$LANG_ROOT"
fi
if [[ ! -d "$STAGE/lang-apt" ]]; then
	rsync -a -m --compare-dest="$DEB/" --exclude='var/cache/apt/archives/*.deb' --exclude='var/cache/apt/*.bin' \
		--exclude='var/lib/apt/lists/*' --exclude='var/cache/debconf/*-old' --exclude='var/log/*' \
		"$LANG_ROOT/" "$STAGE/lang-apt.tmp/"
	mv "$STAGE/lang-apt.tmp" "$STAGE/lang-apt"
fi
NPM_PKGS=(express@4.17.1 lodash@4.17.15 minimist@1.2.5 axios@0.21.1 moment@2.29.1 webpack@4.46.0
	jsonwebtoken@8.5.1 handlebars@4.7.6 node-fetch@2.6.0 ws@7.4.5 typescript@4.2.4 jquery@3.4.1
	json5@2.2.1 semver@7.3.7)
if [[ ! -d "$STAGE/node-app" ]]; then
	log "npm install ${NPM_PKGS[*]}"
	rm -rf "$STAGE/node-app.tmp"
	mkdir -p "$STAGE/node-app.tmp/app"
	echo '{"name":"bench-app","version":"1.0.0","private":true}' >"$STAGE/node-app.tmp/app/package.json"
	(cd "$STAGE/node-app.tmp/app" && npm install --ignore-scripts --no-audit --no-fund "${NPM_PKGS[@]}" >"$CACHE/logs/npm.log" 2>&1)
	mv "$STAGE/node-app.tmp" "$STAGE/node-app"
fi
# (Modules whose go.mod has replace directives cannot be built with go
# install pkg@version, which rules out caddy, gh and hugo.)
GO_BINS=(github.com/google/go-containerregistry/cmd/crane@v0.5.1 github.com/mikefarah/yq/v4@v4.9.0
	github.com/go-delve/delve/cmd/dlv@v1.6.0 github.com/golangci/golangci-lint/cmd/golangci-lint@v1.39.0)
if [[ ! -d "$STAGE/go-bins" ]]; then
	log "building Go binaries with go1.20.14: vulnfixture ${GO_BINS[*]}"
	rm -rf "$STAGE/go-bins.tmp"
	d="$STAGE/go-bins.tmp/usr/local/bin"
	mkdir -p "$d"
	(
		export CGO_ENABLED=0 GOTOOLCHAIN=go1.20.14 GOFLAGS=-trimpath GOPATH="$CACHE/gopath"
		cd "$TESTDATA/manifests/go/vulnfixture" && go build -o "$d/vulnfixture" .
		for m in "${GO_BINS[@]}"; do GOBIN="$d" go install "$m"; done
	) >"$CACHE/logs/go-bins.log" 2>&1
	mv "$STAGE/go-bins.tmp" "$STAGE/go-bins"
fi
mkimg lang -compress gzip "${APT_EXCLUDES[@]}" "$DEB" "$STAGE/lang-apt" "$STAGE/node-app" "$STAGE/go-bins"
if [[ "${SKIP_BIG:-0}" != 1 ]]; then
	big=("$DEB" "$STAGE/lang-apt" "$STAGE/node-app" "$STAGE/go-bins")
	for i in 1 2 3; do
		big+=("$STAGE/lang-apt=opt/copy$i" "$STAGE/node-app=opt/copy$i" "$STAGE/go-bins=opt/copy$i")
	done
	mkimg big -compress gzip "${APT_EXCLUDES[@]}" "${big[@]}"
fi
if [[ "${SKIP_MANY:-0}" != 1 ]]; then
	# A layer of a million small files on the Debian base: per-entry costs
	# (tar headers, the layer cache's record of every entry, memory).
	mkimg many -compress gzip "${APT_EXCLUDES[@]}" "$DEB" many:1000000
fi

# The real cases of shared/testdata/manifests, at the paths they have in an image.
M="$TESTDATA/manifests"
stage_case() { # name: fills $STAGE/case-name once
	local d="$STAGE/case-$1"
	[[ -d "$d" ]] && return 0
	rm -rf "$d.tmp"
	mkdir -p "$d.tmp"
	case $1 in
	alpine-3.4.6 | alpine-3.20.3)
		mkdir -p "$d.tmp/lib/apk/db" "$d.tmp/etc/apk"
		cp "$M/alpine/${1#alpine-}/installed" "$d.tmp/lib/apk/db/installed"
		cp "$M/alpine/${1#alpine-}/os-release" "$d.tmp/etc/os-release"
		[[ -f "$M/alpine/${1#alpine-}/alpine-release" ]] && cp "$M/alpine/${1#alpine-}/alpine-release" "$d.tmp/etc/"
		# As in the x86_64 root filesystems (osv-scanner needs both).
		echo x86_64 >"$d.tmp/etc/apk/arch"
		v=${1#alpine-}
		v=v${v%.*}
		printf 'http://dl-cdn.alpinelinux.org/alpine/%s/main\nhttp://dl-cdn.alpinelinux.org/alpine/%s/community\n' "$v" "$v" >"$d.tmp/etc/apk/repositories"
		;;
	npm-express)
		mkdir -p "$d.tmp/app"
		cp -a "$M/npm/express-app/." "$d.tmp/app/"
		;;
	python-bookworm)
		mkdir -p "$d.tmp/usr/lib/python3/dist-packages"
		cp -a "$M/python/debian-bookworm/." "$d.tmp/usr/lib/python3/dist-packages/"
		;;
	maven-bookworm)
		# The real jars: Debian's packages, unpacked (the test data keeps
		# only their metadata).
		(cd "$d.tmp" && apt-get download liblog4j1.2-java libyaml-snake-java >/dev/null 2>&1 &&
			for f in ./*.deb; do dpkg-deb -x "$f" . && rm "$f"; done)
		;;
	go-vulnfixture)
		mkdir -p "$d.tmp/usr/local/bin"
		cp "$STAGE/go-bins/usr/local/bin/vulnfixture" "$d.tmp/usr/local/bin/"
		;;
	esac
	mv "$d.tmp" "$d"
}
CASES=(alpine-3.4.6 alpine-3.20.3 npm-express python-bookworm maven-bookworm go-vulnfixture)
for c in "${CASES[@]}"; do
	stage_case "$c"
	mkimg "case-$c" -compress gzip "$STAGE/case-$c"
done
for im in "$IMAGES"/*.tar; do
	log "image $(basename "$im" .tar): $(du -h "$im" | cut -f1)"
done

[[ "${IMAGES_ONLY:-0}" == 1 ]] && exit 0

# --- 4. advisory databases ---------------------------------------------------
log "waiting for the peer builds"
wait "$peers_pid" || die "a peer build failed; see $CACHE/logs"
rm -rf "$OUT/data" "$OUT/osvdb"
log "drydock db import $TESTDATA/vulndb"
"$DD" --data "$OUT/data" db import "$TESTDATA/vulndb" >"$OUT/db-import.log" 2>&1
rm -rf "$OUT/data-bigdb"
if [[ "${SKIP_BIGDB:-0}" != 1 ]]; then
	CORPUS="$CACHE/corpus-500k.zip"
	if [[ ! -s "$CORPUS" ]]; then
		log "generating 500,000 OSV records (bench/vulndb -corpus-only)"
		go run ./bench/vulndb -corpus-only "$CORPUS.tmp" >"$OUT/corpus.log" 2>&1
		mv "$CORPUS.tmp" "$CORPUS"
	fi
	log "drydock db import $TESTDATA/vulndb $CORPUS (real-size database)"
	"$DD" --data "$OUT/data-bigdb" db import "$TESTDATA/vulndb" "$CORPUS" >"$OUT/db-import-bigdb.log" 2>&1
fi
"$SB" osvdb -out "$OUT/osvdb" "$TESTDATA/vulndb" 2>"$OUT/osvdb.log"
# trivy refuses to read jars offline without its Java DB (a SHA-1 -> Maven
# coordinates index of Maven Central, downloaded from ghcr.io). Neither tool
# has that index offline, so trivy gets an empty one (its own schema) and
# identifies jars by their pom.properties and manifests, like drydock.
JAVADB="$OUT/trivy-cache/java-db"
rm -rf "$OUT/trivy-cache"
mkdir -p "$JAVADB"
sqlite3 "$JAVADB/trivy-java.db" "CREATE TABLE artifacts(id INTEGER PRIMARY KEY, group_id TEXT, artifact_id TEXT);
	CREATE TABLE indices(artifact_id INTEGER, version TEXT, sha1 BLOB, archive_type TEXT, foreign key (artifact_id) references artifacts(id));
	CREATE UNIQUE INDEX artifacts_idx ON artifacts(artifact_id, group_id);
	CREATE INDEX indices_artifact_idx ON indices(artifact_id);
	CREATE UNIQUE INDEX indices_sha1_idx ON indices(sha1);"
echo '{"Version":1,"NextUpdate":"2099-01-01T00:00:00Z","UpdatedAt":"2026-01-01T00:00:00Z","DownloadedAt":"2026-01-01T00:00:00Z"}' >"$JAVADB/metadata.json"

# --- 5. timings -----------------------------------------------------------------
export SYFT_CHECK_FOR_APP_UPDATE=false TRIVY_DISABLE_VEX_NOTICE=true
SCRATCH="$OUT/scratch"
RAW="$OUT/raw"
rm -rf "$SCRATCH" "$RAW"
mkdir -p "$SCRATCH" "$RAW"
if (sync && echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null; then
	cold="cold page cache before every run (drop_caches)"
	drop() { sync && echo 3 >/proc/sys/vm/drop_caches; }
else
	cold="WARM page cache: /proc/sys/vm/drop_caches is not writable here, so runs after the first read the image from memory"
	drop() { sync; }
fi
log "$cold"

# tool_cmd TOOL IMAGE OUTFILE TMPDIR: sets CMD to the command line that runs
# one tool on one image with fresh tool caches under TMPDIR; the report goes
# to OUTFILE (drydock and the floor print it on stdout).
tool_cmd() {
	local tool=$1 img=$IMAGES/$2.tar out=$3 tmp=$4
	case $tool in
	drydock | drydock-warm-rescan) CMD=("$DD" --data "$OUT/data" scan --format json "docker-archive:$img") ;;
	drydock-bigdb | drydock-bigdb-warm-rescan) CMD=("$DD" --data "$OUT/data-bigdb" scan --format json "docker-archive:$img") ;;
	syft) CMD=(env TMPDIR="$tmp" "$SYFT" scan "docker-archive:$img" -q -o "cyclonedx-json=$out") ;;
	trivy) CMD=(env TMPDIR="$tmp" "$TRIVY" image --input "$img" --format cyclonedx --output "$out"
		--cache-dir "$tmp/cache" --skip-db-update --skip-java-db-update --offline-scan --quiet) ;;
	osv-scanner) CMD=(env TMPDIR="$tmp" "$OSV" scan image --archive "$img" --offline --local-db-path "$OUT/osvdb"
		--all-vulns --verbosity error --format json --output-file "$out") ;;
	floor-*) CMD=("$SB" floor -gzip "${tool#floor-}" "$img") ;;
	floor2-*) CMD=("$SB" floor -parallel 2 -gzip "${tool#floor2-}" "$img") ;;
	verify-*) CMD=("$SB" floor -sha256 -gzip "${tool#verify-}" "$img") ;;
	verify2-*) CMD=("$SB" floor -sha256 -parallel 2 -gzip "${tool#verify2-}" "$img") ;;
	# Start-up alone, cold: drydock's binary (27 MB) printing its version,
	# and the floor's (5 MB) on an 18 KB image.
	start-drydock) CMD=("$DD" version) ;;
	start-floor) CMD=("$SB" floor "$IMAGES/case-alpine-3.4.6.tar") ;;
	*) die "unknown tool $tool" ;;
	esac
}

# run_tool TOOL IMAGE OUTFILE [TIMEFILE]: runs it, under /usr/bin/time when
# TIMEFILE is given (wall seconds, peak RSS KiB, user and system CPU seconds
# written there).
run_tool() {
	local tool=$1 im=$2 out=$3 tf=${4:-} tmp rc=0
	tmp=$(mktemp -d "$SCRATCH/run.XXXXXX")
	[[ $tool == trivy ]] && cp -r "$OUT/trivy-cache" "$tmp/cache"
	tool_cmd "$tool" "$im" "$out" "$tmp"
	local stdout=/dev/null
	[[ $tool == drydock || $tool == floor* || $tool == verify* ]] && stdout=$out
	if [[ -n "$tf" ]]; then
		/usr/bin/time -f '%e %M %U %S' -o "$tf" "${CMD[@]}" >"$stdout" 2>"$out.err" || rc=$?
	else
		"${CMD[@]}" >"$stdout" 2>"$out.err" || rc=$?
	fi
	rm -rf "$tmp"
	# osv-scanner exits 1 when it found vulnerabilities, and 128 when it
	# found no package it knows how to read (then it writes no report).
	if [[ $tool == osv-scanner && $rc == 128 ]] && grep -q 'No package sources found' "$out.err"; then
		echo '{"results":[]}' >"$out"
		rc=0
	fi
	[[ $rc == 0 || ($tool == osv-scanner && $rc == 1) ]] || {
		log "$tool on $im failed (exit $rc); see $out.err"
		tail -5 "$out.err" >&2 || true
		return 1
	}
}

TIMINGS="$OUT/timings.tsv"
: >"$TIMINGS"
timed() { # image, tool, run
	local im=$1 tool=$2 run=$3 tf wall rss user sys cpu
	tf=$(mktemp "$SCRATCH/time.XXXXXX")
	# drydock runs with an empty layer cache (its first scan of the image,
	# recording the cache); drydock-warm-rescan right after it, with that
	# cache and the page cache warm.
	[[ $tool == drydock ]] && rm -rf "$OUT/data/cache"
	[[ $tool == drydock-bigdb ]] && rm -rf "$OUT/data-bigdb/cache"
	[[ $tool == *-warm-rescan ]] || drop
	run_tool "$tool" "$im" "$RAW/$im.$tool.$run" "$tf"
	# The last line: GNU time writes "Command exited with non-zero status"
	# first when the tool exits non-zero (osv-scanner's 1).
	read -r wall rss user sys < <(tail -1 "$tf")
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$im" "$tool" "$run" "$wall" "$rss" "$cpu" >>"$TIMINGS"
	log "$(printf '%-11s %-16s run %s: %6ss wall %6ss cpu %8s KiB' "$im" "$tool" "$run" "$wall" "$cpu" "$rss")"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
[[ "${DIFF_ONLY:-0}" == 1 ]] && RUNS=0 SKIP_BIG=1 SKIP_MANY=1
for im in debian-gz debian-tar debian-zst lang; do
	floors=(floor-klauspost floor-stdlib floor-pgzip floor-drydock verify-drydock)
	[[ $im == debian-tar ]] && floors=(floor-klauspost verify-klauspost start-floor start-drydock) # uncompressed: reading only
	[[ $im == debian-zst ]] && floors=(floor-klauspost verify-klauspost) # every -gzip choice decodes zstd with klauspost's decoder
	[[ $im == lang ]] && floors+=(floor2-klauspost floor2-drydock verify2-drydock)
	bigdb=()
	[[ "${SKIP_BIGDB:-0}" != 1 ]] && bigdb=(drydock-bigdb drydock-bigdb-warm-rescan)
	for run in $(seq 1 "$RUNS"); do
		for tool in "${floors[@]}" drydock drydock-warm-rescan "${bigdb[@]}" syft trivy osv-scanner; do
			timed "$im" "$tool" "$run"
		done
	done
done
if [[ "${SKIP_MANY:-0}" != 1 && "${RUNS:-0}" != 0 ]]; then
	# syft and osv-scanner take about 50 s and 1-4 GB here: RUNS_MANY runs.
	for run in $(seq 1 "${RUNS_MANY:-1}"); do
		for tool in floor-drydock verify-drydock drydock syft trivy osv-scanner; do
			timed many "$tool" "$run"
		done
	done
fi
if [[ "${SKIP_BIG:-0}" != 1 ]]; then
	for run in 1 2; do
		timed big drydock "$run"
		[[ "${SKIP_BIGDB:-0}" != 1 ]] && timed big drydock-bigdb "$run"
	done
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
# The uncompressed Debian image has no decompression: its floor is reading it.
sed -i 's/^debian-tar\tfloor-klauspost\t/debian-tar\tfloor-read\t/; s/^debian-tar\tverify-klauspost\t/debian-tar\tverify-read\t/' "$TIMINGS"
# The zstd image's floor is klauspost's zstd decoder (one goroutine, its
# fastest on 2 cores; see internal/scan/layer/compress.go).
sed -i 's/^debian-zst\tfloor-klauspost\t/debian-zst\tfloor-zstd\t/; s/^debian-zst\tverify-klauspost\t/debian-zst\tverify-zstd\t/' "$TIMINGS"

# --- 6. diffs -------------------------------------------------------------------
DIFF="$OUT/diff.md"
SUMMARY="$OUT/diff-summary.tsv"
: >"$DIFF"
: >"$SUMMARY"
for im in debian-gz debian-zst lang "${CASES[@]/#/case-}"; do
	if [[ ! -f "$RAW/$im.drydock.1" ]]; then
		for tool in drydock syft trivy osv-scanner; do
			run_tool "$tool" "$im" "$RAW/$im.$tool.1"
		done
	fi
	"$SB" compare -image "$im" -drydock "$RAW/$im.drydock.1" -syft "$RAW/$im.syft.1" -trivy "$RAW/$im.trivy.1" \
		-osv "$RAW/$im.osv-scanner.1" -reasons bench/scan/reasons.tsv -summary "$SUMMARY" >>"$DIFF"
done

# --- 7. results ---------------------------------------------------------------
stamp=$(date -u +%Y%m%dT%H%M%SZ)
RESULT="$OUT/results-$stamp.md"
{
	echo "## $(date -u +%Y-%m-%d\ %H:%M) UTC — $what vs syft $SYFT_VERSION, trivy $TRIVY_VERSION, osv-scanner $OSV_SCANNER_VERSION"
	echo
	echo "Command: \`bench/scan/run.sh\` (RUNS=$RUNS) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | awk '{print $3}'); $cold."
	echo "Load average (1/5/15 min) before: $load_start; after: $load_end. A load above the core count means other work shared the machine and timings are noisy."
	echo
	echo "Images (docker save archives):"
	for im in debian-gz debian-tar debian-zst lang many big; do
		[[ -f "$IMAGES/$im.tar" ]] || continue
		echo "- $im: $(du -m "$IMAGES/$im.tar" | cut -f1) MB archive, $(tar -xOf "$IMAGES/$im.tar" manifest.json | jq '.[0].Layers | length') layer(s)"
	done
	echo
	if [[ -s "$TIMINGS" ]]; then
		"$SB" table "$TIMINGS"
	else
		echo "(DIFF_ONLY=1: no timed runs)"
	fi
	echo
	warm="" warmbig=""
	for im in debian-gz debian-tar debian-zst lang; do
		for t in drydock-warm-rescan drydock-bigdb-warm-rescan; do
			m=$(awk -F'\t' -v im="$im" -v t="$t" '$1==im && $2==t {print $4}' "$TIMINGS" | sort -n | awk '{a[NR]=$1} END {if (NR) printf "%.2f", a[int((NR+1)/2)]}')
			[[ -z "$m" ]] && continue
			if [[ $t == drydock-warm-rescan ]]; then warm+="${warm:+, }$im $m s"; else warmbig+="${warmbig:+, }$im $m s"; fi
		done
	done
	echo "Warm layer cache re-scan (rows drydock-warm-rescan: the same image again right after drydock's first scan filled DATA/cache, page cache warm; target < 50 ms), medians: ${warm:-not measured}; with the real-size database (drydock-bigdb-warm-rescan): ${warmbig:-not measured}."
	if [[ "${SKIP_BIG:-0}" != 1 ]]; then
		for t in drydock drydock-bigdb; do
			grep -qP "^big\t$t\t" "$TIMINGS" || continue
			echo "2 GB image (big), $t: peak RSS $(awk -F'\t' -v t="$t" '$1=="big" && $2==t {printf "%s%.0f MiB", sep, $5/1024; sep=", "}' "$TIMINGS") (target < 128 MB), wall $(awk -F'\t' -v t="$t" '$1=="big" && $2==t {printf "%s%s s", sep, $4; sep=", "}' "$TIMINGS"), CPU $(awk -F'\t' -v t="$t" '$1=="big" && $2==t {printf "%s%s s", sep, $6; sep=", "}' "$TIMINGS")."
		done
	fi
	echo
	echo "Package and finding differences (bench/scan compare; rules in bench/scan/reasons.tsv):"
	echo
	echo "Packages: by ecosystem, name and version (Maven: artifactId and version); findings: by package and overlapping advisory ids/aliases. Coverage without peer bugs leaves the peer's own errors (category peer-bug) out of its total."
	echo
	echo "| image | peer | peer total | drydock found | coverage | coverage without peer bugs | peer-only | drydock-only | our-bug | unexplained |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10}' "$SUMMARY"
} >"$RESULT"
cat "$RESULT"
log "differences in detail: $DIFF"
# The section goes at the end of the "# Scan (bench/scan/run.sh)" part of
# bench/RESULTS.md (other benchmarks have parts of their own), which is
# created at the end of the file when it is missing.
if [[ "${NO_APPEND:-0}" != 1 ]]; then
	R="$REPO/bench/RESULTS.md"
	head='# Scan (bench/scan/run.sh)'
	if ! grep -qxF "$head" "$R"; then
		printf '\n%s\n\nEach section: one run of `bench/scan/run.sh` (see the script for what it builds and runs).\n' "$head" >>"$R"
	fi
	awk -v head="$head" -v section="$RESULT" '
		function emit() { if (prev != "") print ""; while ((getline l < section) > 0) print l; done = 1 }
		inpart && /^# / && !done { emit(); print ""; inpart = 0 }
		{ print; prev = $0 }
		$0 == head { inpart = 1 }
		END { if (!done) emit() }
	' "$R" >"$R.tmp"
	mv "$R.tmp" "$R"
	log "added to bench/RESULTS.md"
fi
