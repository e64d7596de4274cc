#!/usr/bin/env bash
# make-built.sh rebuilds the built*.Packages, built.rpmdb.sqlite.zst and
# layer*.rpmdb.sqlite.zst test databases and their *.rpm-qa.tsv listings
# (see README.md). Needs Debian's rpm (4.18, with the sqlite and bdb_ro
# backends), db5.3-util, zstd and python3:
#
#	apt-get install -y rpm db5.3-util zstd python3
#	bash make-built.sh
#
# The .rpm files are built from specs/ with rpmbuild; rpm installs them
# with --justdb (nothing but the database is written) into databases
# under a temporary directory. The Berkeley DB files are written by
# Berkeley DB 5.3's own db_load from the header blobs rpm stored in the
# SQLite database, keyed as rpm keys them (header number, in the
# database's byte order, and record 0 holding the instance counter).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
q='%{NAME}\t%|EPOCH?{%{EPOCH}}:{}|\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{VENDOR}\t%|MODULARITYLABEL?{%{MODULARITYLABEL}}:{}|\n'
build() { rpmbuild --define "_topdir $w" --define '_build_id_links none' "$@" >/dev/null 2>&1; }

for s in glibc openssl tzdata python-foo; do build -bb "$here/specs/$s.spec"; done
build --define 'modularitylabel nodejs:18:8070020230306170042:ad008a3a' -bb "$here/specs/nodejs.spec"
sed 's/^Release: 7.el8_6/Release: 8.el8_6/' "$here/specs/openssl.spec" >"$w/openssl8.spec"
build -bb "$w/openssl8.spec"
r="$w/RPMS"
inst() { rpm "$@" --justdb --nodeps --noscripts --dbpath "$w/db" 2>/dev/null; }
list() { rpm -qa --dbpath "$1" "${@:2}" --qf "$q" 2>/dev/null | LC_ALL=C sort; }

# built: all six packages (the first openssl-libs).
rpm --initdb --dbpath "$w/db"
inst -i "$r"/x86_64/glibc-2.28-151.el8.x86_64.rpm "$r"/x86_64/glibc-langpack-en-2.28-151.el8.x86_64.rpm \
	"$r"/x86_64/openssl-libs-1.1.1k-7.el8_6.x86_64.rpm "$r"/x86_64/nodejs-*.rpm "$r"/x86_64/python3-foo-bar-*.rpm \
	"$r"/noarch/tzdata-*.rpm
cp "$w/db/rpmdb.sqlite" "$w/built.rpmdb.sqlite"
list "$w/db" >"$here/built.rpm-qa.tsv"
zstd -q -19 -f "$w/built.rpmdb.sqlite" -o "$here/built.rpmdb.sqlite.zst"

# built-le, built-be: the same headers in Berkeley DB hash files.
dump() { # byte order (1234|4321), page size
	python3 - "$w/built.rpmdb.sqlite" "$1" "$2" <<'EOF'
import sqlite3, struct, sys
db, lorder, ps = sys.argv[1:]
key = (lambda n: struct.pack('<I' if lorder == '1234' else '>I', n).hex())
rows = sqlite3.connect('file:%s?mode=ro&immutable=1' % db, uri=True).execute(
    'SELECT hnum, blob FROM Packages ORDER BY hnum').fetchall()
print('VERSION=3\nformat=bytevalue\ntype=hash\ndb_lorder=%s\ndb_pagesize=%s\nHEADER=END' % (lorder, ps))
print(' ' + key(0)); print(' ' + key(len(rows) + 1))
for n, blob in rows:
    print(' ' + key(n)); print(' ' + bytes(blob).hex())
print('DATA=END')
EOF
}
for v in "le 1234 512" "be 4321 4096"; do
	set -- $v
	dump "$2" "$3" | db5.3_load "$w/built-$1.Packages"
	cp "$w/built-$1.Packages" "$here/"
	mkdir -p "$w/$1" && cp "$w/built-$1.Packages" "$w/$1/Packages"
	list "$w/$1" --define '_db_backend bdb_ro' >"$here/built-$1.rpm-qa.tsv"
done

# layer0..2: one database as three image layers change it.
rm -rf "$w/db" && rpm --initdb --dbpath "$w/db"
inst -i "$r"/x86_64/glibc-2.28-151.el8.x86_64.rpm "$r"/x86_64/glibc-langpack-en-2.28-151.el8.x86_64.rpm "$r"/noarch/tzdata-*.rpm
zstd -q -19 -f "$w/db/rpmdb.sqlite" -o "$here/layer0.rpmdb.sqlite.zst"
inst -i "$r"/x86_64/openssl-libs-1.1.1k-7.el8_6.x86_64.rpm
zstd -q -19 -f "$w/db/rpmdb.sqlite" -o "$here/layer1.rpmdb.sqlite.zst"
inst -U "$r"/x86_64/openssl-libs-1.1.1k-8.el8_6.x86_64.rpm
inst -i "$r"/x86_64/nodejs-*.rpm
zstd -q -19 -f "$w/db/rpmdb.sqlite" -o "$here/layer2.rpmdb.sqlite.zst"
