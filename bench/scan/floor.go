package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	stdgzip "compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"sync"
	"time"

	"github.com/drydock/drydock/internal/scan/layer/gunzip"
	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

// decoders open a gzip stream; the floor is the fastest of them.
var decoders = map[string]func(io.Reader) (io.ReadCloser, error){
	"klauspost": func(r io.Reader) (io.ReadCloser, error) { return kgzip.NewReader(r) },
	"stdlib":    func(r io.Reader) (io.ReadCloser, error) { return stdgzip.NewReader(r) },
	"pgzip":     func(r io.Reader) (io.ReadCloser, error) { return pgzip.NewReader(r) },
	// drydock's own: several cores on one stream when no other is open.
	"drydock": func(r io.Reader) (io.ReadCloser, error) { return gunzip.NewReader(r, runtime.GOMAXPROCS(0)) },
}

// floor decompresses every layer of a docker save archive and discards the
// bytes: no tar parsing, no hashing, nothing else. Gzip layers use the
// -gzip decoder, zstd layers klauspost's zstd, uncompressed layers are only
// read. -parallel decodes that many layers at once. It prints one line:
// decoder, layers, bytes in and out, seconds and MB/s (decompressed).
//
// run.sh runs it as a process of its own after dropping the page cache,
// like the scanners, so its wall time includes reading the file from disk.
func floor(args []string) error {
	fl := flag.NewFlagSet("floor", flag.ContinueOnError)
	dec := fl.String("gzip", "klauspost", "gzip decoder: klauspost, stdlib, pgzip or drydock")
	parallel := fl.Int("parallel", 1, "layers decoded at once")
	hash := fl.Bool("sha256", false, "also hash each layer's decompressed bytes (the diff_id check)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	open := decoders[*dec]
	if fl.NArg() != 1 || open == nil || *parallel < 1 {
		return errors.New("usage: floor [-gzip klauspost|stdlib|pgzip|drydock] [-parallel N] [-sha256] ARCHIVE")
	}
	start := time.Now()
	f, err := os.Open(fl.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	layers, err := archiveLayers(f)
	if err != nil {
		return err
	}

	var (
		mu       sync.Mutex
		in, out  int64
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, *parallel)
	)
	for _, l := range layers {
		wg.Add(1)
		sem <- struct{}{}
		go func(l section) {
			defer wg.Done()
			defer func() { <-sem }()
			n, err := decodeLayer(io.NewSectionReader(f, l.off, l.size), open, *hash)
			mu.Lock()
			defer mu.Unlock()
			in += l.size
			out += n
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}(l)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("decoder=%s parallel=%d sha256=%t layers=%d in=%d out=%d seconds=%.3f MBps=%.0f\n",
		*dec, *parallel, *hash, len(layers), in, out, secs, float64(out)/1e6/secs)
	return nil
}

// section is a member's data inside the archive.
type section struct{ off, size int64 }

// archiveLayers returns the layer members of a docker save archive, in the
// order of its manifest.json.
func archiveLayers(f *os.File) ([]section, error) {
	cr := &countingReader{f: f}
	tr := tar.NewReader(cr)
	members := map[string]section{}
	var manifest []struct{ Layers []string }
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(h.Name)
		members[name] = section{off: cr.pos, size: h.Size}
		if name == "manifest.json" {
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				return nil, fmt.Errorf("manifest.json: %w", err)
			}
		}
	}
	if len(manifest) != 1 {
		return nil, fmt.Errorf("archive: want one image in manifest.json, have %d", len(manifest))
	}
	var out []section
	for _, l := range manifest[0].Layers {
		s, ok := members[path.Clean(l)]
		if !ok {
			return nil, fmt.Errorf("archive: layer %s is missing", l)
		}
		out = append(out, s)
	}
	return out, nil
}

// countingReader tracks the position in f; tar.Reader seeks over member
// data through it, so the position after Next is the data's offset.
type countingReader struct {
	f   *os.File
	pos int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	c.pos += int64(n)
	return n, err
}

func (c *countingReader) Seek(off int64, whence int) (int64, error) {
	n, err := c.f.Seek(off, whence)
	c.pos = n
	return n, err
}

// decodeLayer decompresses one layer to nowhere, or with hash to a SHA-256
// hasher running beside it, and returns its size.
func decodeLayer(r io.Reader, open func(io.Reader) (io.ReadCloser, error), hash bool) (int64, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head, _ := br.Peek(4)
	var zr io.Reader = br
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		z, err := open(br)
		if err != nil {
			return 0, err
		}
		defer z.Close()
		zr = z
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		z, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return 0, err
		}
		defer z.Close()
		zr = z
	}
	if !hash {
		return io.Copy(io.Discard, zr)
	}
	return hashBeside(zr)
}

// hashBeside reads r in 256 KiB buffers and hands them to a goroutine that
// hashes them, so that reading and hashing use two cores.
func hashBeside(r io.Reader) (int64, error) {
	const nbuf, size = 4, 256 << 10
	free, full := make(chan []byte, nbuf), make(chan []byte, nbuf)
	for range nbuf {
		free <- make([]byte, size)
	}
	done := make(chan []byte)
	go func() {
		h := sha256.New()
		for b := range full {
			h.Write(b)
			free <- b[:cap(b)]
		}
		done <- h.Sum(nil)
	}()
	var n int64
	var err error
	for err == nil {
		b := <-free
		var k int
		k, err = io.ReadFull(r, b)
		n += int64(k)
		full <- b[:k]
	}
	close(full)
	<-done
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return n, err
}
