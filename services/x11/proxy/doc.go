// Package proxy is lxcage's filtering X11 proxy: one per container, run
// as its own process (`lxcage _serve x11 …`). It listens on a Unix socket
// that the launcher binds into the container as /tmp/.X11-unix/XN, and
// connects each of the container's clients to the user's display with
// the user's cookie (the socket itself is the container's capability;
// whatever the client sends as authorization is ignored). Every request
// passes a policy: the container works with its own windows and
// resources at full speed and cannot see, read or drive anyone else's —
// no screenshots of other windows, no keylogging (XTEST, RECORD, raw
// XInput events, grabs and event selections on other windows), no other
// clients' titles, properties or clipboard except a paste right after
// the user's input, nothing retained after the container ends.
//
// A connection has two sides: the client side frames and checks requests
// (session.next), replacing a refused request by one that keeps the
// sequence numbers in step; the server side passes the server's replies
// and events on, puts the answers to refused requests where they belong,
// and watches the user's input to the container's windows.
package proxy
