package proxy

import "golang.org/x/sys/unix"

// File systems of descriptors a client may hand the server. The server
// maps shared memory and fences and imports GPU buffers; a descriptor of
// anything else (a FUSE file whose reads never return, a pipe) could
// hang or confuse it.
const (
	fsTmpfs     = 0x01021994 // memfd, /dev/shm
	fsHugetlbfs = 0x958458f6
	fsDmaBuf    = 0x444d4142
)

// fdsOn checks that every descriptor of the request lives on one of the
// file systems.
func fdsOn(what string, types ...int64) check {
	return func(s *session, r *request) outcome {
		for _, fd := range r.fds {
			var st unix.Statfs_t
			if err := unix.Fstatfs(fd, &st); err != nil {
				return refuseErr(errValue, 0, sprintf("%s descriptor: %v", what, err))
			}
			ok := false
			for _, t := range types {
				ok = ok || int64(st.Type) == t
			}
			if !ok {
				return refuseErr(errValue, 0, sprintf("%s descriptor on file system %#x", what, st.Type))
			}
		}
		return pass
	}
}
