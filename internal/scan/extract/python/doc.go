// Package python extracts installed Python distributions from their
// metadata (core metadata, https://packaging.python.org/specifications/core-metadata/):
// <name>.dist-info/METADATA (wheels, pip), <name>.egg-info/PKG-INFO and
// single-file <name>.egg-info (setuptools, Debian's python3-* packages),
// and <name>.egg/EGG-INFO/PKG-INFO (eggs, as directories or zipped, as
// easy_install and `setup.py install` leave them), wherever they are
// installed (site-packages, dist-packages, virtual environments).
//
// An egg unpacked flat into the installation directory leaves its
// metadata as site-packages/EGG-INFO/PKG-INFO, with no distribution name
// in the path (Debian bookworm's python3-pyobjcryst 2.2.5-1+b1 installs
// /usr/lib/python3/dist-packages/EGG-INFO/PKG-INFO). importlib.metadata
// does not list it, but the distribution's code is installed and
// importable beside it, so it is reported; only an EGG-INFO directly in a
// site-packages or dist-packages directory counts, not one in any source
// tree.
//
// A distribution is reported once per installation directory even when
// the directory holds two metadata records of it at the same version
// (a .dist-info and a leftover .egg-info, as Debian bookworm's
// python3-cryptography installs them): from the layer that introduced
// it; see [Extractor.Extract].
//
// Only the header (Name, Version) is kept while the layer streams; the
// description body that follows it can be large.
package python
