// Package composer extracts PHP packages (Packagist) installed with
// Composer, from vendor/composer/installed.json (what `composer install`
// wrote: the array of Composer 1 and the {"packages": [...]} object of
// Composer 2) and from composer.lock ("packages" and "packages-dev").
//
// An image that ships an application with its lockfile usually holds the
// installed tree next to it; installed.json is what runs, so a
// composer.lock is reported only when there is no vendor/composer/installed.json
// beside it. Lockfiles inside a vendor directory are the libraries'
// own development lockfiles and are not read.
//
// Development packages ("packages-dev" of a lockfile, the "dev-package-names"
// of installed.json) are reported like the others: [pkg.Package] has no
// field to mark them, and `composer install` installs them unless told
// not to (installed.json then lists only what was installed).
//
// Versions are kept as Composer spells them ("v5.4.21", "1.10.0",
// "dev-main"): Packagist advisories are ordered with Composer's version
// normalisation, which reads the "v"; branch versions ("dev-main") have no
// order and make any advisory for the package a finding of unknown status.
//
// Files are reduced while the layer streams to "name\tversion" lines.
package composer
