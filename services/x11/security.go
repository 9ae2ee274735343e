package x11

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"

	"github.com/lxcage/lxcage/services/x11/proxy/xclient"
	"github.com/lxcage/lxcage/services/x11/xauth"
)

// Untrusted cookies come from the X server's SECURITY extension, asked
// directly rather than through `xauth generate`: the reply names the
// authorization, and only by that id can it be revoked. xauth does not
// report the id, so each start would leave one more valid authorization
// in the server for as long as the server runs (a cookie with no timeout
// never expires by itself). Revoking it at stop also closes every
// connection still made with it.

// The SECURITY extension's requests and values (the X Security Extension
// specification: GenerateAuthorization, RevokeAuthorization).
const (
	securityGenerate   = 1 // GenerateAuthorization
	securityRevoke     = 2 // RevokeAuthorization
	securityTimeout    = 1 << 0
	securityTrustLevel = 1 << 1
	securityUntrusted  = 1
	// BadAuthorization is the extension's first error.
	securityBadAuthorization = 0
)

// RevokeKind is the `lxcage _serve` kind that revokes an authorization
// at stop: an undo step is a command, which the watchdog may run long
// after the launch that made the cookie ended.
const RevokeKind = "x11-revoke"

// Authorization is an untrusted cookie the X server made, and the id by
// which it is revoked.
type Authorization struct {
	Cookie xauth.Entry
	ID     uint32
}

// dialAs connects to the X server at socket with the user's own cookie
// (nil: none, for a server without access control) and finds SECURITY.
func dialAs(socket string, own *xauth.Entry) (*xclient.Conn, xclient.Ext, error) {
	var opt xclient.Options
	if own != nil {
		opt.AuthName, opt.AuthData = own.Name, own.Data
	}
	c, err := xclient.Dial(socket, opt)
	if err != nil {
		return nil, xclient.Ext{}, fmt.Errorf("connect to the X server (%s): %w", socket, err)
	}
	ext, err := c.QueryExtension("SECURITY")
	if err != nil {
		c.Close()
		return nil, ext, fmt.Errorf("X server (%s): %w", socket, err)
	}
	if !ext.Present {
		c.Close()
		return nil, ext, ErrNoSecurity
	}
	return c, ext, nil
}

// ErrNoSecurity means the X server cannot make untrusted cookies.
var ErrNoSecurity = errors.New("the X server has no SECURITY extension, so it cannot give out an untrusted cookie")

// GenerateUntrusted asks the X server at socket (display number for the
// cookie's entry) for a new MIT-MAGIC-COOKIE-1 cookie marked untrusted:
// its clients cannot read other clients' windows, grab the keyboard or
// inject input. The request is made with the user's own cookie. It never
// expires by itself (a launch into a running container connects again
// later); Revoke ends it.
func GenerateUntrusted(socket, number string, own *xauth.Entry) (Authorization, error) {
	c, ext, err := dialAs(socket, own)
	if err != nil {
		return Authorization{}, err
	}
	defer c.Close()
	const proto = xauth.MagicCookie
	o := c.Order()
	data := make([]byte, (len(proto)+3)&^3+8)
	copy(data, proto)
	o.PutUint32(data[len(data)-8:], 0) // timeout: none
	o.PutUint32(data[len(data)-4:], securityUntrusted)
	// The server makes the cookie's data itself (none is given).
	seq, err := c.SendData(ext.Major, securityGenerate, []uint32{c.Pair(uint16(len(proto)), 0), securityTimeout | securityTrustLevel}, data)
	if err != nil {
		return Authorization{}, fmt.Errorf("ask the X server for an untrusted cookie: %w", err)
	}
	r, err := c.Reply(seq)
	if err != nil {
		return Authorization{}, fmt.Errorf("ask the X server for an untrusted cookie: %w", err)
	}
	n := int(o.Uint16(r[12:]))
	if n == 0 || 32+n > len(r) {
		return Authorization{}, fmt.Errorf("the X server's untrusted cookie is %d bytes long", n)
	}
	e := xauth.Entry{Family: xauth.FamilyWild, Number: number, Name: proto, Data: append([]byte(nil), r[32:32+n]...)}
	return Authorization{Cookie: e, ID: o.Uint32(r[8:])}, nil
}

// Revoke withdraws authorization id from the X server at socket, which
// also closes every connection made with it. One the server no longer
// knows (it was restarted) counts as revoked.
func Revoke(socket string, own *xauth.Entry, id uint32) error {
	c, ext, err := dialAs(socket, own)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Send(ext.Major, securityRevoke, id); err != nil {
		return fmt.Errorf("revoke X authorization %#x: %w", id, err)
	}
	err = c.Sync()
	var xe *xclient.Error
	if errors.As(err, &xe) && xe.Code == ext.FirstError+securityBadAuthorization {
		return nil // not the server's any more
	}
	if err != nil {
		return fmt.Errorf("revoke X authorization %#x: %w", id, err)
	}
	return nil
}

// RevokeArgs is the undo command's arguments after the kind: the
// display's socket, the user's authority file (read at stop: the cookie
// may have changed) and the id.
func RevokeArgs(socket, number, authority string, id uint32) []string {
	return []string{RevokeKind, "-socket", socket, "-display", number, "-xauthority", authority, "-id", strconv.FormatUint(uint64(id), 10)}
}

// revokeMain is `lxcage _serve x11-revoke -socket S -display N
// -xauthority F -id ID`.
func revokeMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet(RevokeKind, flag.ContinueOnError)
	socket := fs.String("socket", "", "the X server's socket")
	number := fs.String("display", "", "its display number")
	authority := fs.String("xauthority", "", "the user's authority file")
	id := fs.Uint64("id", 0, "the authorization")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *socket == "" || *id == 0 || *id > 0xffffffff {
		return fmt.Errorf("%s: usage: -socket SOCKET -display N [-xauthority FILE] -id ID", RevokeKind)
	}
	own, err := ownCookie(*authority, *number)
	if err != nil {
		return err
	}
	return Revoke(*socket, own, uint32(*id))
}

// ownCookie is the user's cookie for display number from the authority
// file, with which lxcage talks to the X server itself; nil when there is
// none (no file, no entry: a server without access control).
func ownCookie(authority, number string) (*xauth.Entry, error) {
	e, ok, err := xauth.FileCookie(authority, number)
	if err != nil {
		return nil, fmt.Errorf("read your X cookie: %w", err)
	}
	if !ok {
		return nil, nil
	}
	return &e, nil
}
