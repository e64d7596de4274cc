// Package source resolves what a scan is given into the images to scan and
// streams their layers: a registry reference, an OCI image layout, a
// `docker save` archive, a root filesystem directory, or an image in
// drydock's own storage.
//
// # Usage
//
//	src, err := source.Open(ctx, "registry.example.com/team/app:1.0", source.Options{})
//	defer src.Close()
//	images, err := src.Images(ctx) // one per platform
//	for _, im := range images {
//		for i, l := range im.Layers {
//			rc, err := im.OpenLayer(ctx, i) // compressed as stored
//			...                             // l.DiffID is checked by the layer reader
//		}
//	}
//
// [Open] parses the reference forms of `drydock scan`; [OpenRegistry],
// [OpenLayout], [OpenArchive], [OpenDir] and [NewStored] build each kind
// directly.
//
// # Indexes and platforms
//
// Every kind with manifests shares one resolver: an image index (or Docker
// manifest list, nested up to four deep) yields one [Image] per platform, or
// only the one [Options.Platform] names ("os/arch[/variant]", matched as
// docker pull --platform matches it: see [Platform.Matches]; [ErrNoPlatform]
// lists the platforms there are when none matches).
// Attestation manifests (in-toto provenance and SBOMs, as BuildKit attaches
// them) are left out, whether the index marks them (annotation, platform
// unknown/unknown) or only their in-toto layers show it. Images for other
// systems than Linux (Windows, FreeBSD, wasi), manifests whose config is not
// an image config (Helm charts, SBOMs, other artifacts) and image manifests
// whose layers are documents rather than filesystems (an attestation or a
// cosign signature referred to directly) are returned with
// [Image.NotApplicable] saying why, and naming the image they refer to when
// they carry an OCI subject. A child manifest or config that is malformed,
// over its size cap ([MaxManifestBytes], [MaxConfigBytes]) or does not hash
// to its digest is returned with [Image.Err] set, so that it is reported as
// failed while the other platforms are scanned. Local sources (layouts,
// archives, the store) often hold only some platforms of an index; absent
// children are skipped. From a registry, an absent child is reported as
// failed.
//
// # Integrity
//
// Manifests and configs are read whole and checked against their
// digests. Layers are streamed, never written to disk: from a registry
// their digest is verified as they stream (by go-containerregistry); from
// local sources it is not, since the layer reader checks each layer's
// diff_id from the (verified) config, which covers the same content.
//
// # Registries
//
// Registry references are pulled with github.com/google/go-containerregistry
// (remote and authn): the distribution API over HTTPS, or plain HTTP with
// [Options.Insecure] (which also accepts unverified certificates). As in
// go-containerregistry's clients, registries at 127.0.0.1, [::1],
// localhost, *.localhost and private (RFC 1918) addresses are tried over
// HTTPS and plain HTTP without it. Certificates are verified against the
// system's roots (SSL_CERT_FILE and SSL_CERT_DIR name others). A registry
// that does not answer a request other than for a blob within
// [Options.AnswerTimeout] fails the scan, saying so.
// Authentication is anonymous, HTTP Basic, or the Docker token flow that
// the registry's 401 challenge asks for, with credentials from the Docker
// config file ([DefaultDockerConfig], or [Options.DockerConfig]): "auths"
// entries (base64 "auth", username/password, identity tokens) and the
// credential helpers it names. A config file that cannot be read or
// parsed is ignored, as docker ignores it: a warning on
// [Options.Warnings], once, and the pull goes on without credentials.
//
// Errors say what to do: sign in (no credentials, and which config file
// was read, or why it was ignored), sign in again (credentials rejected, and where they came
// from), trust the CA or pass --insecure (an untrusted certificate, a
// registry that answers plain HTTP), check the name (no such tag,
// repository or manifest: [ErrNotFound]), or check that the registry runs.
// They never show credentials.
//
// # Docker archives
//
// `docker save` archives are indexed once and their members read in place.
// When the archive holds an OCI layout (Docker 25 and later) it is used, so
// reports carry real manifest digests; otherwise the legacy manifest.json
// is read, the image digest is the config digest (Docker's image id) and
// layers are named by their diff_id (the legacy layer.tar is the
// uncompressed diff). Compressed archives must be decompressed first.
//
// # Root filesystems
//
// dir:ROOTFS is a single uncompressed layer produced by a walk of the
// directory (symbolic links kept as links, devices and sockets left out);
// the image has no digest and no platform. Image.OpenEntries gives the walk
// entry by entry, each file opened only if its contents are read, so a scan
// reads only the files its extractors want (a 5.9 GB /usr: 12 s from a
// cold page cache, where streaming every byte took 62 s). A live system's
// root can be scanned too: kernel file systems mounted inside it (/proc,
// /sys, cgroup, devpts...) are not entered, and what the user may not
// read is left out (a directory, a symbolic link) or reported unreadable
// to the extractors that wanted it (a file), with a warning, instead of
// failing the scan.
package source
