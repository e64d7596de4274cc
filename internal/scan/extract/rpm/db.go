package rpm

import (
	"fmt"

	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/extract/rpm/rpmdb"
)

// Parse reads every package header of a database in any of the three
// formats. An empty file is an empty database. gpg-pubkey entries (the
// keys rpm imported) are returned like packages; data is not retained.
func Parse(data []byte) ([]rpmdb.Header, error) {
	if len(data) == 0 {
		return nil, nil
	}
	format, err := rpmdb.Detect(data)
	if err != nil {
		return nil, err
	}
	var out []rpmdb.Header
	add := func(blob []byte) error {
		if len(out) == extract.DefaultMaxPackages {
			return fmt.Errorf("%w: more than %d headers", extract.ErrTooManyPackages, extract.DefaultMaxPackages)
		}
		h, err := rpmdb.ParseHeader(blob)
		if err != nil {
			return fmt.Errorf("package %d: %w", len(out)+1, err)
		}
		out = append(out, h)
		return nil
	}
	switch format {
	case rpmdb.FormatSQLite:
		err = readSQLite(data, add)
	case rpmdb.FormatNDB:
		err = rpmdb.ReadNDB(data, add)
	default:
		err = rpmdb.ReadBDB(data, add)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", format, err)
	}
	return out, nil
}
