package main

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// created is the fixed creation time of the images and of the entries
// mkimage adds itself (prefix directories, archive members).
var created = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// mkimage builds one linux/amd64 image whose layers are the given
// directories, in order. A layer argument is DIR or DIR=PREFIX (the
// directory's contents are placed under PREFIX in the image), or many:N
// (N small files made up on the spot, see tarMany). Entries are
// written in lexical order with their real modes, owners, symlinks,
// hardlinks and device nodes; sockets are skipped.
//
// The archive (-archive) is what `docker save` writes since Docker 25: the
// legacy manifest.json and an OCI layout (oci-layout, index.json, blobs/) in
// one tar, so every tool reads the same bytes. -oci writes the layout as a
// directory as well.
func mkimage(args []string) error {
	fl := flag.NewFlagSet("mkimage", flag.ContinueOnError)
	archive := fl.String("archive", "", "docker save archive to write")
	ociDir := fl.String("oci", "", "OCI layout directory to write (optional)")
	comp := fl.String("compress", "gzip", "layer compression: gzip, zstd or none")
	ref := fl.String("ref", "bench/image:latest", "image name:tag recorded in the archive")
	var excludes multiFlag
	fl.Var(&excludes, "exclude", "path.Match pattern of paths (relative to a layer directory) to leave out; repeatable")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() == 0 || (*archive == "" && *ociDir == "") {
		return errors.New("usage: mkimage -archive FILE [-oci DIR] [-compress gzip|zstd|none] [-exclude PATTERN] DIR[=PREFIX]...")
	}
	if *comp != "gzip" && *comp != "zstd" && *comp != "none" {
		return fmt.Errorf("-compress %q: use gzip, zstd or none", *comp)
	}
	layout := *ociDir
	if layout == "" {
		tmp, err := os.MkdirTemp(filepath.Dir(*archive), ".mkimage-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		layout = tmp
	}
	if err := os.MkdirAll(filepath.Join(layout, "blobs", "sha256"), 0o755); err != nil {
		return err
	}

	var layers []descriptor
	var diffIDs []string
	for _, a := range fl.Args() {
		dir, prefix, _ := strings.Cut(a, "=")
		d, diffID, err := writeLayer(layout, dir, strings.Trim(prefix, "/"), *comp, excludes)
		if err != nil {
			return fmt.Errorf("layer %s: %w", a, err)
		}
		layers = append(layers, d)
		diffIDs = append(diffIDs, diffID)
		fmt.Fprintf(os.Stderr, "mkimage: layer %s: %s, %d bytes\n", a, d.Digest, d.Size)
	}

	history := make([]map[string]any, len(layers))
	for i := range history {
		history[i] = map[string]any{"created": created, "created_by": "bench/scan mkimage " + fl.Args()[i]}
	}
	config := map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      created,
		"config":       map[string]any{"Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
		"history":      history,
	}
	cfg, err := writeJSONBlob(layout, config, "application/vnd.oci.image.config.v1+json")
	if err != nil {
		return err
	}
	manifest := map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        cfg,
		"layers":        layers,
	}
	man, err := writeJSONBlob(layout, manifest, "application/vnd.oci.image.manifest.v1+json")
	if err != nil {
		return err
	}
	name, tag, ok := strings.Cut(*ref, ":")
	if !ok {
		tag = "latest"
	}
	man.Annotations = map[string]string{
		"io.containerd.image.name":          name + ":" + tag,
		"org.opencontainers.image.ref.name": tag,
	}
	index := map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.index.v1+json",
		"manifests":     []descriptor{man},
	}
	if err := writeJSONFile(filepath.Join(layout, "index.json"), index); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(layout, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		return err
	}
	layerPaths := make([]string, len(layers))
	for i, l := range layers {
		layerPaths[i] = blobPath(l.Digest)
	}
	legacy := []map[string]any{{
		"Config":   blobPath(cfg.Digest),
		"RepoTags": []string{name + ":" + tag},
		"Layers":   layerPaths,
	}}
	if err := writeJSONFile(filepath.Join(layout, "manifest.json"), legacy); err != nil {
		return err
	}
	if *archive != "" {
		return writeArchive(*archive, layout, append([]descriptor{cfg, man}, layers...))
	}
	return nil
}

// descriptor is an OCI content descriptor.
type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

func blobPath(digest string) string {
	return "blobs/sha256/" + strings.TrimPrefix(digest, "sha256:")
}

// writeLayer tars dir (under prefix) into a blob of layout and returns its
// descriptor and diff_id.
func writeLayer(layout, dir, prefix, comp string, excludes []string) (descriptor, string, error) {
	tmp, err := os.CreateTemp(filepath.Join(layout, "blobs"), "layer-")
	if err != nil {
		return descriptor{}, "", err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()

	blobHash := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, blobHash), 1<<20)
	var zw io.WriteCloser
	mediaType := "application/vnd.oci.image.layer.v1.tar"
	switch comp {
	case "gzip":
		// The default level, as docker and containerd push layers.
		zw = gzip.NewWriter(bw)
		mediaType += "+gzip"
	case "zstd":
		z, err := zstd.NewWriter(bw)
		if err != nil {
			return descriptor{}, "", err
		}
		zw = z
		mediaType += "+zstd"
	default:
		zw = nopCloser{bw}
	}
	diffHash := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(zw, diffHash))
	if n, ok := strings.CutPrefix(dir, "many:"); ok {
		if err := tarMany(tw, n); err != nil {
			return descriptor{}, "", err
		}
	} else if err := tarDir(tw, dir, prefix, excludes); err != nil {
		return descriptor{}, "", err
	}
	if err := tw.Close(); err != nil {
		return descriptor{}, "", err
	}
	if err := zw.Close(); err != nil {
		return descriptor{}, "", err
	}
	if err := bw.Flush(); err != nil {
		return descriptor{}, "", err
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return descriptor{}, "", err
	}
	if err := tmp.Close(); err != nil {
		return descriptor{}, "", err
	}
	d := descriptor{MediaType: mediaType, Digest: digestOf(blobHash), Size: size}
	if err := os.Rename(tmp.Name(), filepath.Join(layout, blobPath(d.Digest))); err != nil {
		return descriptor{}, "", err
	}
	return d, digestOf(diffHash), nil
}

// tarMany writes the layer argument many:N: N files of 12 bytes, a
// thousand to a directory, as a layer of many small files (a build cache,
// a large node_modules) stresses a scanner's per-entry costs.
func tarMany(tw *tar.Writer, count string) error {
	n, err := strconv.Atoi(count)
	if err != nil || n < 0 {
		return fmt.Errorf("many:%s: want a file count", count)
	}
	data := []byte("hello world\n")
	for i := range n {
		if i%1000 == 0 {
			dir := &tar.Header{Name: fmt.Sprintf("usr/share/many/d%04d/", i/1000), Typeflag: tar.TypeDir, Mode: 0o755, ModTime: created}
			if err := tw.WriteHeader(dir); err != nil {
				return err
			}
		}
		h := &tar.Header{Name: fmt.Sprintf("usr/share/many/d%04d/file-%07d.txt", i/1000, i), Typeflag: tar.TypeReg,
			Mode: 0o644, Size: int64(len(data)), ModTime: created}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	return nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func digestOf(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

// tarDir writes the tree under root into tw, names prefixed by prefix.
func tarDir(tw *tar.Writer, root, prefix string, excludes []string) error {
	type inode struct{ dev, ino uint64 }
	seen := map[inode]string{}
	if prefix != "" {
		// The prefix's own directories, as a real layer has them.
		parts := strings.Split(prefix, "/")
		for i := range parts {
			h := &tar.Header{Typeflag: tar.TypeDir, Name: strings.Join(parts[:i+1], "/") + "/", Mode: 0o755, ModTime: created}
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
		}
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		for _, pat := range excludes {
			if ok, _ := path.Match(pat, rel); ok {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSocket != 0 {
			return nil
		}
		var link string
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		h.Name = path.Join(prefix, rel)
		if fi.IsDir() {
			h.Name += "/"
		}
		h.Uname, h.Gname = "", ""
		h.AccessTime, h.ChangeTime = time.Time{}, time.Time{}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && fi.Mode().IsRegular() && st.Nlink > 1 {
			k := inode{uint64(st.Dev), st.Ino}
			if first, ok := seen[k]; ok {
				h.Typeflag, h.Linkname, h.Size = tar.TypeLink, first, 0
			} else {
				seen[k] = h.Name
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if h.Typeflag != tar.TypeReg || h.Size == 0 {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := io.CopyN(tw, f, h.Size); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		return nil
	})
}

func writeJSONBlob(layout string, v any, mediaType string) (descriptor, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return descriptor{}, err
	}
	sum := sha256.Sum256(b)
	d := descriptor{MediaType: mediaType, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(b))}
	return d, os.WriteFile(filepath.Join(layout, blobPath(d.Digest)), b, 0o644)
}

func writeJSONFile(p string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(p, b, 0o644)
}

// writeArchive writes the docker save archive of layout: the legacy
// manifest.json first (as docker does), then the OCI layout files and blobs.
func writeArchive(file, layout string, blobs []descriptor) error {
	tmp := file + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	tw := tar.NewWriter(bw)
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: created}); err != nil {
			return err
		}
	}
	names := []string{"manifest.json", "oci-layout", "index.json"}
	done := map[string]bool{}
	for _, b := range blobs {
		if p := blobPath(b.Digest); !done[p] {
			done[p] = true
			names = append(names, p)
		}
	}
	for _, n := range names {
		if err := addFile(tw, filepath.Join(layout, n), n); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

func addFile(tw *tar.Writer, src, name string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: fi.Size(), ModTime: created}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}
