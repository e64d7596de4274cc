// Package extract defines the [Extractor] contract and runs extractors over
// an image's layers ([Session]).
//
// # The core walks, the extractor decides
//
// An extractor declares the files it wants ([Extractor.Wants], a fast test
// of a path and its file info that the layer reader asks for every entry of
// every layer). The reader keeps only those files (or, for extractors that
// also implement [layer.Reducer], the small part of each that matters), so
// a 2 GB image is read with little memory. When all layers are read, each
// extractor gets its own view of the final (chained) filesystem in
// [Input.FS] and returns the packages it finds there.
//
// Extractors set every [pkg.Package] field except Layer and LayerDigest; the
// session fills those: a package is attributed to the earliest layer from
// which the file it was found in (Package.Path) continuously yields it. A
// package database rewritten by later layers (dpkg status, apk installed)
// therefore still attributes each package to the layer that installed it.
// This requires that a package be derivable from the file named in its Path
// alone: the session re-runs Extract on that file's earlier versions.
//
// # Limits
//
// The layer reader bounds what is kept of each file and of the image
// ([layer.Config]); the session bounds what the extractors make of it: at
// most [DefaultMaxPackages] packages in all ([Input.MaxPackages], checked
// by the extractors as they go), and file owners only for the files that
// hold language packages ([FileOwner]).
//
// # Usage
//
//	s, err := extract.NewSession(layer.Config{}, list.All(), logger)
//	for _, l := range layers { err = s.ReadLayer(ctx, l.Desc, l.Reader) }
//	inv, err := s.Extract(ctx)
//
// The list of extractors lives in package extract/list (an explicit list,
// no init-time registration).
package extract
