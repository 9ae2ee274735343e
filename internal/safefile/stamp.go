package safefile

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Stamp identifies the version of the file at path — device, inode,
// size and modification time — so that a later Stamp tells whether it
// was replaced or changed; "" when there is none. An atomic save renames
// a new inode into place, so even a save within the same clock tick
// shows as a change.
func Stamp(path string) string {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return ""
	}
	return fmt.Sprintf("%d:%d:%d:%d.%d", st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec)
}
