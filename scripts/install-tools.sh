#!/usr/bin/env bash
# install-tools.sh — installs every external tool drydock's tests and
# benchmarks use, on a fresh Debian machine (run as root). Idempotent: a tool
# that is already present at the pinned version is left alone, so a second
# run takes a few seconds.
#
# Only two sources are used: Debian's apt archive and the Go module proxy.
#
#   apt:  skopeo, umoci (OCI layouts), jq, psmisc (fuser), sqlite3, ca-certificates
#   Go:   crane, regctl, oras, the OCI distribution-spec conformance suite
#         and CNCF distribution's registry (the third-party registry that
#         `drydock scan` is tested against), pinned below and installed with
#         `go install` into $REPO/.tools/bin (gitignored). Put that directory
#         on PATH to use them.
#
# Usage: scripts/install-tools.sh            (from anywhere inside the repo)
# Env:   TOOLS_BIN   override the install directory (default $REPO/.tools/bin)
#        SKIP_APT=1  skip the apt part (e.g. on a machine without root)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_BIN="${TOOLS_BIN:-$REPO/.tools/bin}"

# Pinned Go tools: binary name, package path, version.
GO_TOOLS=(
	"crane       github.com/google/go-containerregistry/cmd/crane          v0.22.1"
	"regctl      github.com/regclient/regclient/cmd/regctl                  v0.11.7"
	"oras        oras.land/oras/cmd/oras                                    v1.3.6"
	"conformance github.com/opencontainers/distribution-spec/conformance    v0.0.0-20260831232431-97274622c111"
	"registry    github.com/distribution/distribution/v3/cmd/registry       v3.0.0"
)

# chromium: the console's browser test (headless, driven from Go by test/e2e).
APT_PACKAGES=(skopeo umoci jq psmisc sqlite3 ca-certificates chromium)

log() { printf 'install-tools: %s\n' "$*" >&2; }

start=$(date +%s)

# --- apt -------------------------------------------------------------------
if [[ "${SKIP_APT:-0}" != 1 ]]; then
	missing=()
	for p in "${APT_PACKAGES[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
			missing+=("$p")
		fi
	done
	if ((${#missing[@]})); then
		if [[ $(id -u) != 0 ]]; then
			log "need root to apt-get install: ${missing[*]}"
			exit 1
		fi
		log "apt-get install ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q >/dev/null
		apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
	else
		log "apt packages present: ${APT_PACKAGES[*]}"
	fi
fi

# --- Go tools --------------------------------------------------------------
command -v go >/dev/null || { log "go is not on PATH"; exit 1; }
mkdir -p "$TOOLS_BIN"

# installed_version BIN MODULE_PREFIX prints the module version BIN was built
# from (read from its embedded build info), or nothing.
installed_version() {
	local bin=$1 pkg=$2
	[[ -x "$bin" ]] || return 0
	# The main module line is "mod <path> <version> <sum>"; the package path
	# starts with the module path.
	go version -m "$bin" 2>/dev/null | awk -v pkg="$pkg" '
		$1 == "mod" && index(pkg, $2) == 1 { print $3; exit }'
}

pids=()
for line in "${GO_TOOLS[@]}"; do
	read -r name pkg version <<<"$line"
	have=$(installed_version "$TOOLS_BIN/$name" "$pkg")
	if [[ "$have" == "$version" ]]; then
		log "$name $version present"
		continue
	fi
	log "go install $pkg@$version${have:+ (replacing $have)}"
	# CGO off: static binaries, no C toolchain needed. GOFLAGS cleared so a
	# caller's -mod=... cannot interfere with module-mode installs.
	( GOBIN="$TOOLS_BIN" CGO_ENABLED=0 GOFLAGS=-buildvcs=false go install "$pkg@$version" ) &
	pids+=($!)
done
fail=0
for pid in "${pids[@]}"; do
	wait "$pid" || fail=1
done
if ((fail)); then
	log "a go install failed"
	exit 1
fi

# Verify every pinned tool now reports the pinned version.
for line in "${GO_TOOLS[@]}"; do
	read -r name pkg version <<<"$line"
	have=$(installed_version "$TOOLS_BIN/$name" "$pkg")
	if [[ "$have" != "$version" ]]; then
		log "$name: want $version, have '${have:-none}'"
		exit 1
	fi
done
for p in skopeo umoci jq; do
	command -v "$p" >/dev/null || { log "$p missing after install"; exit 1; }
done
log "done in $(( $(date +%s) - start ))s; tools in $TOOLS_BIN"
