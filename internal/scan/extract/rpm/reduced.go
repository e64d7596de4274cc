package rpm

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/drydock/drydock/internal/scan/extract/rpm/rpmdb"
)

// The reduced form of a database, what the layer reader keeps instead of
// the database (see [Extractor.Reduce]): a magic line, the number of
// headers, then each header's fields as uvarint-length-prefixed strings.
const reducedMagic = "drydock rpm headers 1\n"

// fields lists a header's fields in their reduced order.
func fields(h *rpmdb.Header) [8]*string {
	return [8]*string{&h.Name, &h.Epoch, &h.Version, &h.Release, &h.Arch, &h.SourceRPM, &h.Vendor, &h.ModularityLabel}
}

// encode returns the reduced form of hs; never nil.
func encode(hs []rpmdb.Header) []byte {
	n := len(reducedMagic) + binary.MaxVarintLen64
	for i := range hs {
		for _, f := range fields(&hs[i]) {
			n += binary.MaxVarintLen64 + len(*f)
		}
	}
	b := make([]byte, 0, n)
	b = append(b, reducedMagic...)
	b = binary.AppendUvarint(b, uint64(len(hs)))
	for i := range hs {
		for _, f := range fields(&hs[i]) {
			b = binary.AppendUvarint(b, uint64(len(*f)))
			b = append(b, *f...)
		}
	}
	return b
}

var errReduced = errors.New("corrupt reduced rpm database")

// count returns the number of headers in what encode wrote.
func count(b []byte) (uint64, error) {
	if len(b) < len(reducedMagic) || string(b[:len(reducedMagic)]) != reducedMagic {
		return 0, errReduced
	}
	b = b[len(reducedMagic):]
	n, k := binary.Uvarint(b)
	// Each header takes at least 8 bytes.
	if k <= 0 || n > uint64(len(b))/8 {
		return 0, errReduced
	}
	return n, nil
}

// decode reads what encode wrote.
func decode(b []byte) ([]rpmdb.Header, error) {
	n, err := count(b)
	if err != nil {
		return nil, err
	}
	b = b[len(reducedMagic)+uvarintLen(n):]
	hs := make([]rpmdb.Header, n)
	for i := range hs {
		for _, f := range fields(&hs[i]) {
			l, k := binary.Uvarint(b)
			if k <= 0 || l > uint64(len(b)-k) {
				return nil, fmt.Errorf("%w: header %d", errReduced, i)
			}
			*f = string(b[k : k+int(l)])
			b = b[k+int(l):]
		}
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errReduced, len(b))
	}
	return hs, nil
}

// uvarintLen is the length of n's uvarint encoding.
func uvarintLen(n uint64) int {
	var buf [binary.MaxVarintLen64]byte
	return binary.PutUvarint(buf[:], n)
}
