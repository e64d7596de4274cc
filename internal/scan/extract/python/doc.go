// Package python extracts installed Python distributions from their
// metadata (core metadata, https://packaging.python.org/specifications/core-metadata/):
// <name>.dist-info/METADATA (wheels, pip), <name>.egg-info/PKG-INFO and
// single-file <name>.egg-info (setuptools, Debian's python3-* packages),
// and <name>.egg/EGG-INFO/PKG-INFO (eggs, as directories or zipped, as
// easy_install and `setup.py install` leave them), wherever they are
// installed (site-packages, dist-packages, virtual environments).
//
// Only the header (Name, Version) is kept while the layer streams; the
// description body that follows it can be large.
package python
