// Package osinfo detects the operating system release of an image from its
// release files: os-release(5) (/etc/os-release, then /usr/lib/os-release),
// and, for images without one or to refine it, /etc/alpine-release,
// /etc/debian_version, /etc/redhat-release and its siblings, /etc/lsb-release,
// and the dpkg database of distroless images (var/lib/dpkg/status.d).
//
// # Usage
//
// [Selector] is a layer selector for the files it reads; [Detect] reads them
// from that selector's view.
package osinfo
