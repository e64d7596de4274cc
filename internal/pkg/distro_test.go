package pkg

import "testing"

func TestDistroVersion(t *testing.T) {
	tests := []struct {
		d    *Distro
		want string
	}{
		{nil, ""},
		{&Distro{ID: "alpine", VersionID: "3.4.6"}, "3.4.6"},
		{&Distro{ID: "debian", VersionID: "12", Codename: "bookworm", PrettyName: "Debian GNU/Linux 12 (bookworm)"}, "12"},
		// Debian testing and sid: os-release has no VERSION_ID.
		{&Distro{ID: "debian", Codename: "forky", PrettyName: "Debian GNU/Linux forky/sid"}, "forky/sid"},
		{&Distro{ID: "debian", Codename: "forky"}, "forky"},
		{&Distro{ID: "arch", PrettyName: "Arch Linux"}, ""},
	}
	for _, tc := range tests {
		if got := tc.d.Version(); got != tc.want {
			t.Errorf("%+v: Version() = %q, want %q", tc.d, got, tc.want)
		}
	}
}
