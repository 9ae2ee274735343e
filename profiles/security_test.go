package profiles

import (
	"strings"
	"testing"
)

// TestSeccompNesting: each level of [security] nesting lifts exactly its
// part of the policy — userns the CLONE_NEWUSER rules, nested_sandbox
// those and the mount family — and nothing else.
func TestSeccompNesting(t *testing.T) {
	userns := []string{"unshare errno 1 [0,0x10000000,", "clone errno 1 [0,0x10000000,", "clone3 errno 38"}
	tests := []struct {
		name           string
		sec            Security
		mode           string
		mounts, usersn bool // denied?
	}{
		{"default", Security{}, ModeApp, true, true},
		{"userns", Security{UserNS: true}, ModeApp, true, false},
		{"nested_sandbox", Security{NestedSandbox: true}, ModeApp, false, false},
		{"nested_sandbox with userns", Security{UserNS: true, NestedSandbox: true}, ModeApp, false, false},
		{"system mode", Security{}, ModeSystem, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol := SeccompPolicy(tc.mode, tc.sec.Nesting())
			for _, call := range mountCalls {
				if got := strings.Contains(pol, "\n"+call+" errno 1\n"); got != tc.mounts {
					t.Errorf("%s denied: %v, want %v", call, got, tc.mounts)
				}
			}
			for _, rule := range userns {
				if got := strings.Contains(pol, "\n"+rule); got != tc.usersn {
					t.Errorf("%q present: %v, want %v", rule, got, tc.usersn)
				}
			}
			// What no level lifts.
			for _, rule := range []string{"keyctl errno 1", "bpf errno 1", "ioctl errno 1 [1,0x5412,SCMP_CMP_MASKED_EQ,0xffffffff]"} {
				if !strings.Contains(pol, "\n"+rule+"\n") {
					t.Errorf("%q missing", rule)
				}
			}
		})
	}
}

// TestNestedSandboxProc: nested_sandbox alone gets the unmasked procfs
// that sandboxes inside need to mount their own /proc; the container's
// /proc keeps its masks either way.
func TestNestedSandboxProc(t *testing.T) {
	for _, nested := range []bool{false, true} {
		p := &Profile{Name: "n", Command: []string{"x"}, Security: Security{UserNS: true, NestedSandbox: nested}}
		plan, err := Compile(p, testHost(), testKind)
		if err != nil {
			t.Fatal(err)
		}
		conf := plan.Config.String()
		if got := strings.Contains(conf, "lxc.mount.entry = proc dev/.lxc/proc proc rw,nosuid,nodev,noexec,create=dir 0 0\n"); got != nested {
			t.Errorf("nested_sandbox = %v: unmasked procfs %v\n%s", nested, got, conf)
		}
		if !strings.Contains(conf, "lxc.mount.entry = /dev/null proc/timer_list none bind,optional 0 0\n") {
			t.Errorf("nested_sandbox = %v: /proc/timer_list not masked", nested)
		}
	}
}
