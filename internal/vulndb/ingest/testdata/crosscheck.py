#!/usr/bin/env python3
"""Independent count of what importing ../../../../../shared/testdata/vulndb must give.

Written separately from the Go importers (PyYAML + json, no shared code) to
cross-check the golden numbers in golden_test.go. Usage:
    python3 crosscheck.py /work/shared/testdata/vulndb
Prints, per data set: records, withdrawn, and per ecosystem the number of
non-withdrawn advisories naming at least one package in it; for Alpine
secdb the number of distinct identifiers per release.
"""
import glob, json, os, re, sys, collections
import yaml

root = sys.argv[1]

def osv_counts(files, load):
    recs, withdrawn, eco = 0, 0, collections.Counter()
    for f in files:
        d = load(f)
        recs += 1
        if d.get('withdrawn'):
            withdrawn += 1
            continue
        ecos = set()
        for a in d.get('affected') or []:
            rs = a.get('ranges') or []
            if rs and not a.get('versions') and all(r['type'] == 'GIT' for r in rs):
                continue
            ecos.add(a['package']['ecosystem'])
        for e in ecos:
            eco[e] += 1
    return recs, withdrawn, dict(sorted(eco.items()))

def jload(f):
    with open(f) as fh:
        return json.load(fh)

def yload(f):
    with open(f) as fh:
        return yaml.load(fh, Loader=yaml.BaseLoader)  # all scalars as strings

sets = {
    'go-vulndb': (sorted(glob.glob(os.path.join(root, 'go-vulndb/osv/*.json'))), jload),
    'pypa': (sorted(glob.glob(os.path.join(root, 'pypa-advisory-database/vulns/*/*.yaml'))), yload),
    'almalinux': (sorted(glob.glob(os.path.join(root, 'almalinux-osv/advisories/almalinux9/*.json'))), jload),
    'rustsec': (sorted(glob.glob(os.path.join(root, 'rustsec-osv/crates/*.json'))), jload),
    'ghsa': (sorted(glob.glob(os.path.join(root, 'ghsa-curated/*.json'))), jload),
}
for name, (files, load) in sets.items():
    print(name, 'files', len(files), 'records/withdrawn/ecosystems', osv_counts(files, load))

# Alpine secdb: identifiers per release, as documented in feed/alpine.
cve = re.compile(r'\bCVE[-_ ](\d{4})-(\d{4,})', re.I)
other = re.compile(r'^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)+$')
def ids(s):
    s = re.sub(r'\([^)]*\)', ' ', s)
    out = []
    for m in cve.finditer(s):
        i = 'CVE-%s-%s' % (m.group(1), m.group(2))
        if i not in out:
            out.append(i)
    rest = cve.sub(' ', s)
    for t in rest.split():
        t = t.rstrip('.,;:')
        if t.upper().startswith('CVE'):
            continue
        if other.match(t) and re.search(r'\d', t):
            t = t.upper()
            if t not in out:
                out.append(t)
    return out

per_release = collections.defaultdict(set)
all_ids = set()
bad = 0
for f in sorted(glob.glob(os.path.join(root, 'alpine-secdb/*/*.yaml'))):
    d = yload(f)
    rel = d['distroversion']
    for p in d.get('packages') or []:
        for fixed, lst in (p['pkg'].get('secfixes') or {}).items():
            for s in lst or []:
                i = ids(s)
                if not i:
                    bad += 1
                    continue
                if fixed == '0':
                    continue
                per_release['Alpine:' + rel].add(i[0])
                all_ids.add(i[0])
print('alpine ids', len(all_ids), 'no-identifier strings', bad)
print('alpine per release', {k: len(v) for k, v in sorted(per_release.items())})

nvd = sorted(glob.glob(os.path.join(root, 'nvd-cve-2.0/*.json')))
print('nvd cves', sum(len(jload(f)['vulnerabilities']) for f in nvd))
