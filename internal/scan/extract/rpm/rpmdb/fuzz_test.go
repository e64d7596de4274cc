package rpmdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/adler32"
	"os"
	"path/filepath"
	"testing"
)

// seedBlobs returns the header blobs of testdata's built-le database (the
// blobs rpm wrote, see ../testdata/README.md).
func seedBlobs(t testing.TB) [][]byte {
	t.Helper()
	var blobs [][]byte
	if err := ReadBDB(seedFile(t, "built-le.Packages"), func(blob []byte) error {
		blobs = append(blobs, bytes.Clone(blob))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(blobs) != 6 {
		t.Fatalf("%d seed blobs, want 6", len(blobs))
	}
	return blobs
}

func seedFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// makeNDB writes blobs into an NDB database as rpm's rpmpkg.c lays it out
// (one slot page, a free slot between the packages), for small fuzz seeds
// and tests; testdata's sle15-bci database is the real thing.
func makeNDB(blobs [][]byte) []byte {
	le := binary.LittleEndian
	db := make([]byte, ndbPageLen)
	le.PutUint32(db, ndbMagic)
	le.PutUint32(db[8:], 1)  // generation
	le.PutUint32(db[12:], 1) // slot pages
	le.PutUint32(db[16:], uint32(len(blobs)+1))
	for o := ndbHeaderLen; o < ndbPageLen; o += ndbSlotLen {
		le.PutUint32(db[o:], ndbSlotMagic)
	}
	for i, blob := range blobs {
		idx := uint32(i + 1)
		blkOff := uint32(len(db) / ndbBlkLen)
		blkCnt := uint32((ndbBlobHead + len(blob) + ndbBlobTail + ndbBlkLen - 1) / ndbBlkLen)
		slot := db[ndbHeaderLen+2*i*ndbSlotLen:] // every other slot stays free
		le.PutUint32(slot[4:], idx)
		le.PutUint32(slot[8:], blkOff)
		le.PutUint32(slot[12:], blkCnt)
		b := make([]byte, blkCnt*ndbBlkLen)
		le.PutUint32(b, ndbBlobHeadMagic)
		le.PutUint32(b[4:], idx)
		le.PutUint32(b[12:], uint32(len(blob)))
		copy(b[ndbBlobHead:], blob)
		tail := b[len(b)-ndbBlobTail:]
		le.PutUint32(tail, adler32.Checksum(b[:len(b)-ndbBlobTail]))
		le.PutUint32(tail[4:], uint32(len(blob)))
		le.PutUint32(tail[8:], ndbBlobTailMagic)
		db = append(db, b...)
	}
	return db
}

func TestMakeNDB(t *testing.T) {
	blobs := seedBlobs(t)
	var n int
	if err := ReadNDB(makeNDB(blobs), func(blob []byte) error {
		if !bytes.Equal(blob, blobs[n]) {
			t.Errorf("blob %d differs", n)
		}
		n++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != len(blobs) {
		t.Errorf("read %d blobs, wrote %d", n, len(blobs))
	}
}

// FuzzParseHeader feeds the header parser mutations of real header blobs.
func FuzzParseHeader(f *testing.F) {
	for _, b := range seedBlobs(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		h, err := ParseHeader(blob)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if h.Name == "" || h.Version == "" || h.Release == "" {
			t.Fatalf("incomplete header %+v", h)
		}
	})
}

// FuzzRead feeds the Berkeley DB and NDB readers (and the header parser
// behind them) mutations of small real Berkeley DB files, both byte
// orders, and of an NDB file. (SQLite files are read by SQLite; this test
// binary does not link it, which keeps the fuzzer fast.)
func FuzzRead(f *testing.F) {
	f.Add(seedFile(f, "built-le.Packages"))
	f.Add(seedFile(f, "built-be.Packages"))
	f.Add(makeNDB(seedBlobs(f)))
	f.Fuzz(func(t *testing.T, data []byte) {
		format, err := Detect(data)
		if err != nil {
			return
		}
		fn := func(blob []byte) error {
			h, err := ParseHeader(blob)
			if err == nil && h.Name == "" {
				t.Fatalf("package without a name")
			}
			return err
		}
		switch format {
		case FormatBDB:
			err = ReadBDB(data, fn)
		case FormatNDB:
			err = ReadNDB(data, fn)
		default:
			return
		}
		if err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("error %v wraps neither ErrInvalid nor ErrUnsupported", err)
		}
	})
}

// TestReadNDBOverlappingSlots: slots that all name one blob (254 here; in
// a 256 MiB file, 8 million naming one 16 MiB header) are refused once
// they claim more blocks than the file has, instead of each being parsed.
func TestReadNDBOverlappingSlots(t *testing.T) {
	db := makeNDB(seedBlobs(t)[:1])
	first := db[ndbHeaderLen : ndbHeaderLen+ndbSlotLen]
	for o := ndbHeaderLen + ndbSlotLen; o < ndbPageLen; o += ndbSlotLen {
		copy(db[o:], first)
	}
	n := 0
	err := ReadNDB(db, func([]byte) error { n++; return nil })
	if !errors.Is(err, ErrInvalid) || n != 1 {
		t.Errorf("ReadNDB read %d blobs, err %v; want 1 and ErrInvalid", n, err)
	}
}
