package loadgen

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	mrand "math/rand/v2"
)

// pushBase pushes the shared base image (config and cfg.BaseLayer) as
// <registry>/base:v1 before the run.
func pushBase(ctx context.Context, cfg *Config) (base, error) {
	repo := cfg.Registry + "/base"
	c := newClient(cfg, -1, base{repo: repo}, &errorLog{})
	c.repo = repo
	c.ts.scopes = []string{"repository:" + repo + ":pull,push"}
	layer := blob{digest: digestOf(cfg.BaseLayer), size: int64(len(cfg.BaseLayer)), data: cfg.BaseLayer}
	config := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%q]},"config":{}}`, layer.digest))
	for _, b := range [][]byte{config, layer.data} {
		if err := uploadBlob(ctx, c, repo, b, 0); err != nil {
			return base{}, fmt.Errorf("loadgen: push base image: %w", err)
		}
	}
	manifest := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},`+
		`"layers":[{"mediaType":%q,"digest":%q,"size":%d}]}`,
		mtManifest, mtConfig, digestOf(config), len(config), mtLayer, layer.digest, layer.size))
	if err := c.putManifest(ctx, "v1", mtManifest, manifest); err != nil {
		return base{}, fmt.Errorf("loadgen: push base image: %w", err)
	}
	return base{repo: repo, digest: digestOf(manifest), layer: layer}, nil
}

// randomTar returns a tar archive holding one file name of size random
// bytes.
func randomTar(rng *mrand.Rand, name string, size int) ([]byte, error) {
	data := make([]byte, size)
	for i := 0; i < len(data); i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8 && i+j < len(data); j++ {
			data[i+j] = byte(v >> (8 * j))
		}
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "data/" + name, Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg}); err != nil {
		return nil, fmt.Errorf("layer tar: %w", err)
	}
	if _, err := tw.Write(data); err != nil {
		return nil, fmt.Errorf("layer tar: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("layer tar: %w", err)
	}
	return buf.Bytes(), nil
}
