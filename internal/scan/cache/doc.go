// Package cache bounds an on-disk cache of derived objects (the per-layer
// skeletons `drydock scan` keeps under <data>/cache): each hit refreshes
// the object's modification time, and [Bounded.Trim] removes the least
// recently used objects until the directory fits its byte budget. It
// walks the directory only when a count it keeps there (the bytes at the
// last walk plus what was put since) says the budget may be exceeded, or
// the count is an hour old: walking 5,000 skeletons took ~50 ms at the end
// of every scan that cached anything.
//
// The objects themselves are stored by a [Store] whose objects are files
// under one root directory (internal/pipeline/objects.Dir is one); this
// package adds only recency and eviction, so the scanner library does not
// depend on the server pipeline.
package cache
