package launcher

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestHoldersSeeLiveAndDropDead(t *testing.T) {
	st, err := newState(filepath.Join(t.TempDir(), "a", "b", "eyes"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := st.register([]string{"https://example.org"})
	if err != nil {
		t.Fatal(err)
	}
	// A holder file nobody locks: the debris of a launch killed with SIGKILL.
	dead := filepath.Join(st.dir, "holders", "999999")
	os.WriteFile(dead, []byte(`{"pid":999999}`), 0o600)
	// A live holder in another process: a child that holds its own flock
	// and, like register, shows the file only once it is locked.
	tmp := filepath.Join(st.dir, "holders", ".new-child")
	child := exec.Command("sh", "-c", "exec 9>"+tmp+"; flock -x 9; mv "+tmp+" "+filepath.Join(st.dir, "holders", "424242")+"; sleep 30")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	deadline := time.Now().Add(5 * time.Second)
	for {
		hs := st.holders(os.Getpid())
		if len(hs) == 1 && hs[0].PID == 424242 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("holders: %+v", hs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Error("dead holder file not removed")
	}
	all := st.holders(-1)
	if len(all) != 2 {
		t.Errorf("with self: %+v", all)
	}
	h.release()
	if hs := st.holders(-1); len(hs) != 1 {
		t.Errorf("after release: %+v", hs)
	}
}

func TestMarkerRecoversFromCorruptionAndStaleness(t *testing.T) {
	st, err := newState(filepath.Join(t.TempDir(), "x", "y", "eyes"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(st.markerPath(), []byte("{garbage"), 0o600)
	if _, ok := st.readMarker(); ok {
		t.Error("corrupt marker accepted")
	}
	if _, err := os.Stat(st.markerPath()); !os.IsNotExist(err) {
		t.Error("corrupt marker not removed")
	}
	// A marker naming a live process with the right start time is valid;
	// with a wrong start time (a recycled PID) it is stale.
	start, _ := procStartTime(os.Getpid())
	st.writeMarker(marker{InitPID: os.Getpid(), InitStart: start})
	if _, ok := st.readMarker(); !ok {
		t.Error("valid marker refused")
	}
	st.writeMarker(marker{InitPID: os.Getpid(), InitStart: start + 1})
	if _, ok := st.readMarker(); ok {
		t.Error("marker of a recycled pid accepted")
	}
}

func TestLockWaitsAndHonoursContext(t *testing.T) {
	st, _ := newState(filepath.Join(t.TempDir(), "x", "y", "eyes"))
	held, err := st.lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := st.lock(ctx); err == nil {
		t.Fatal("second lock taken while held")
	}
	got := make(chan error, 1)
	go func() {
		lk, err := st.lock(context.Background())
		if err == nil {
			lk.unlock()
		}
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	held.unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("waiting lock never granted")
	}
}

// TestLockAfterRemoval: a launch that waited for the lock while destroy
// removed the state holds, once granted, the lock of the state made anew:
// a third one waits for it rather than taking a lock of its own.
func TestLockAfterRemoval(t *testing.T) {
	st, _ := newState(filepath.Join(t.TempDir(), "x", "y", "eyes"))
	held, err := st.lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *lockFile, 1)
	go func() {
		lk, err := st.lock(context.Background())
		if err != nil {
			t.Error(err)
		}
		got <- lk
	}()
	time.Sleep(50 * time.Millisecond) // the goroutine waits on the old lock file
	if err := st.remove(); err != nil {
		t.Fatal(err)
	}
	held.unlock()
	var waiter *lockFile
	select {
	case waiter = <-got:
	case <-time.After(2 * time.Second):
		t.Fatal("waiting lock never granted")
	}
	defer waiter.unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if lk, err := st.lock(ctx); err == nil {
		lk.unlock()
		t.Fatal("two launches hold the lock at once: the waiter locked the removed file")
	}
}

// TestReadersMakeNoState: looking at a container's state (status, the
// editor's refresh) and tidying up after one (lockKept) make no runtime
// state for a container that has none.
func TestReadersMakeNoState(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x", "y", "eyes")
	st, err := newState(dir)
	if err != nil {
		t.Fatal(err)
	}
	st.holders(-1)
	st.readMarker()
	if _, err := st.lockKept(context.Background()); !errors.Is(err, errStateGone) {
		t.Errorf("lockKept without a state: %v, want errStateGone", err)
	}
	if _, err := os.Stat(filepath.Dir(filepath.Dir(dir))); !os.IsNotExist(err) {
		t.Errorf("a reader made the state: %v", err)
	}
	lk, err := st.lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lk.unlock()
	if lk, err = st.lockKept(context.Background()); err != nil {
		t.Errorf("lockKept of a state that exists: %v", err)
	} else {
		lk.unlock()
	}
}

func TestStateDirMustBeOurs(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to make a directory owned by someone else")
	}
	dir := filepath.Join(t.TempDir(), "x", "y", "eyes")
	os.MkdirAll(dir, 0o700)
	os.Chown(dir, 12345, 12345)
	if _, err := newState(dir); err == nil {
		t.Error("accepted a state dir owned by another user")
	}
}

func TestAttachChildParsesChildren(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 5 & wait")
	cmd.Start()
	defer cmd.Process.Kill()
	// The shell forks before the child execs sleep: until then the
	// child's name is the shell's, so wait for the name too.
	var child int
	var b []byte
	for i := 0; i < 200 && string(b) != "sleep\n"; i++ {
		time.Sleep(10 * time.Millisecond)
		if child = attachChild(cmd.Process.Pid); child != 0 {
			b, _ = os.ReadFile("/proc/" + strconv.Itoa(child) + "/comm")
		}
	}
	if child == 0 || string(b) != "sleep\n" {
		t.Errorf("child %d (%q)", child, b)
	}
}

func TestDirSizeCountsFilesNotLinks(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), make([]byte, 1000), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "b"), make([]byte, 234), 0o644)
	big := filepath.Join(t.TempDir(), "big")
	os.WriteFile(big, make([]byte, 1<<20), 0o644)
	os.Symlink(big, filepath.Join(dir, "link"))
	os.Symlink("/", filepath.Join(dir, "root"))
	syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644)
	if n, partial := dirSize(dir, 100); n != 1234 || partial {
		t.Errorf("size %d partial %v, want 1234", n, partial)
	}
	if _, partial := dirSize(dir, 2); !partial {
		t.Error("limit not reported")
	}
	if n, _ := dirSize(filepath.Join(dir, "missing"), 10); n != -1 {
		t.Errorf("missing dir: %d", n)
	}
}

// TestAppChildIsInTheContainer: signals go to lxc-attach's child in
// another PID namespace (the app), never to a host-side helper child.
func TestAppChildIsInTheContainer(t *testing.T) {
	same := exec.Command("sh", "-c", "sleep 5 & wait")
	same.Start()
	defer same.Process.Kill()
	args := []string{"-pf", "sleep", "5"}
	if os.Getuid() != 0 {
		args = append([]string{"-Ur"}, args...)
	}
	other := exec.Command("unshare", args...)
	if err := other.Start(); err != nil {
		t.Skip("unshare:", err)
	}
	defer other.Process.Kill()
	var child int
	for i := 0; i < 200 && child == 0; i++ {
		child = appChild(other.Process.Pid)
		time.Sleep(10 * time.Millisecond)
	}
	if b, _ := os.ReadFile("/proc/" + strconv.Itoa(child) + "/comm"); child == 0 || string(b) != "sleep\n" {
		t.Errorf("child in a new PID namespace: %d (%q)", child, b)
	}
	// Not yet the app: a child in the container still running
	// lxc-attach's own code (its comm is its parent's until it executes
	// the app). Here the parent is unshare, the child a copy of sleep
	// named unshare.
	fake := filepath.Join(t.TempDir(), "unshare")
	if b, err := os.ReadFile("/bin/sleep"); err != nil || os.WriteFile(fake, b, 0o755) != nil {
		t.Fatal("copy sleep:", err)
	}
	os.Chmod(filepath.Dir(fake), 0o755)
	pre := exec.Command("unshare", append(args[:len(args)-2:len(args)-2], fake, "5")...)
	if err := pre.Start(); err != nil {
		t.Fatal(err)
	}
	defer pre.Process.Kill()
	// Until unshare's child has executed the copy it runs unshare.
	for i := 0; i < 200; i++ {
		kids, _ := os.ReadFile("/proc/" + strconv.Itoa(pre.Process.Pid) + "/task/" + strconv.Itoa(pre.Process.Pid) + "/children")
		if f := strings.Fields(string(kids)); len(f) > 0 {
			if exe, _ := os.Readlink("/proc/" + f[0] + "/exe"); exe == fake {
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := 0; i < 20; i++ {
		if c := appChild(same.Process.Pid); c != 0 {
			t.Fatalf("a child in this PID namespace was taken for the app: %d", c)
		}
		if c := appChild(pre.Process.Pid); c != 0 {
			t.Fatalf("lxc-attach's own child in the container was taken for the app: %d", c)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
