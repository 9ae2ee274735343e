package profiles

import (
	"strings"
	"testing"
)

func TestDefaultAppArmor(t *testing.T) {
	for _, tc := range []struct {
		name    string
		uid     int
		shipped bool
		userns  bool
		mounts  bool
		want    string
	}{
		{"root loads its own", 0, true, false, false, "generated"},
		{"user, LXC's profiles loaded", 1000, true, false, false, "lxc-container-default-cgns"},
		{"user, namespaces inside (Chromium)", 1000, true, true, false, "lxc-container-default-with-nesting"},
		{"user, sandboxes that mount a root (bwrap): no loaded profile allows it", 1000, true, true, true, "unconfined"},
		{"root, sandboxes that mount a root", 0, true, false, true, "generated"},
		{"user, no LXC profiles: LXC says why it cannot start", 1000, false, false, false, "generated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &Host{UID: tc.uid, AppArmor: true, AppArmorShipped: tc.shipped}
			if got := defaultAppArmor(h, tc.userns, tc.mounts); got != tc.want {
				t.Errorf("defaultAppArmor = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestAppArmorInConfig: a user's container on a host with LXC's profiles
// names the shipped profile; a profile's own choice wins.
func TestAppArmorInConfig(t *testing.T) {
	h := testHost()
	h.AppArmor, h.AppArmorShipped = true, true
	for _, tc := range []struct{ text, want string }{
		{`command = ["true"]`, "lxc.apparmor.profile = lxc-container-default-cgns"},
		{"command = [\"true\"]\n[security]\napparmor = \"unconfined\"", "lxc.apparmor.profile = unconfined"},
	} {
		p, err := Parse("aa", "aa.toml", []byte(tc.text))
		if err != nil {
			t.Fatal(err)
		}
		plan, err := Compile(p, h, testKind)
		if err != nil {
			t.Fatal(err)
		}
		conf := plan.Config.String()
		if !strings.Contains("\n"+conf, "\n"+tc.want+"\n") {
			t.Errorf("%q compiles without %q:\n%s", tc.text, tc.want, conf)
		}
	}
}
