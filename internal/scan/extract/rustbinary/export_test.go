package rustbinary

// Test helpers of the internal tests, for the external ones.
var (
	MachO    = machO
	Compress = compress
)
