// Package gem extracts RubyGems packages from installed gem specifications
// and from Bundler lockfiles:
//
//   - <gem dir>/specifications/<name>-<version>.gemspec and
//     specifications/default/*.gemspec (the default gems that ship with
//     Ruby), wherever a gem directory is (/usr/local/bundle,
//     /usr/local/lib/ruby/gems/3.x, /var/lib/gems/3.x, vendor/bundle,
//     Debian's /usr/share/rubygems-integration and
//     /usr/lib/<triplet>/rubygems-integration);
//   - Gemfile.lock and gems.locked (Bundler), outside installed gem trees
//     (a gem's own lockfile under .../gems/<name>-<version>/ is its
//     development setup, not what the image runs).
//
// # Gem specifications are read, never run
//
// An installed specification is Ruby code that RubyGems writes itself
// (Gem::Specification#to_ruby), always in the same shape:
//
//	Gem::Specification.new do |s|
//	  s.name = "rack".freeze
//	  s.version = "2.2.22"
//
// The extractor reads the name and version assignments of the block's
// variable as string literals ("...", '...', %q{...}, with an optional
// .freeze); a specification whose name or version is anything else (a
// constant, an interpolation, a method call) is not statically knowable
// and is reported as unreadable (logged, skipped). Nothing is evaluated.
//
// # Lockfiles
//
// Only the gems of GEM sections (from a gem server) are reported; GIT and
// PATH sections hold gems whose versions are not releases. A platform
// suffix ("nokogiri (1.13.10-x86_64-linux)") is dropped from the version.
// Gems a lockfile lists are reported as installed even when the image also
// holds their specifications (both are listed, each with its own path).
//
// Files are reduced while the layer streams to "name\tversion" lines.
package gem
