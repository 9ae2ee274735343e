package proxy

import "github.com/lxcage/lxcage/services/x11/proxy/xproto"

// GLX. Contexts, GLX drawables and the X drawables under them must be the
// container's: a context made current on the root window or another
// client's window would read its pixels back (ReadPixels). The GL
// commands of indirect rendering (Render, RenderLarge, the "single"
// requests) work on the client's current context, so they pass.

// Vendor private requests of GLX that clients use, with the offset of a
// drawable or context they name (0: none).
var glxVendorPrivate = map[uint32]struct {
	off  int
	kind xproto.Kind
}{
	1024:  {12, xproto.GlxContext},  // QueryContextInfoEXT
	1330:  {12, xproto.GlxDrawable}, // BindTexImageEXT
	1331:  {12, xproto.GlxDrawable}, // ReleaseTexImageEXT
	65536: {0, 0},                   // SwapIntervalSGI
	65546: {12, xproto.GlxDrawable}, // GetDrawableAttributesSGIX
}

func glxVendor(s *session, r *request) outcome {
	code := r.u32(4)
	v, ok := glxVendorPrivate[code]
	if !ok {
		return refuseErr(errRequest, code, "a vendor private GLX request the proxy does not know")
	}
	if v.off != 0 {
		if id := r.u32(v.off); !s.w.isOwn(id) {
			return s.refuseID(v.kind, id, "GLX resource")
		}
	}
	return pass
}

func glxRules(b *builder) {
	const x = "glx"
	b.show(x)
	for _, n := range []string{"Render", "RenderLarge", "CreateContext", "DestroyContext", "MakeCurrent", "IsDirect", "QueryVersion",
		"WaitGL", "WaitX", "CopyContext", "SwapBuffers", "UseXFont", "CreateGLXPixmap", "GetVisualConfigs", "DestroyGLXPixmap",
		"QueryExtensionsString", "QueryServerString", "ClientInfo", "GetFBConfigs", "CreatePixmap", "DestroyPixmap",
		"CreateNewContext", "QueryContext", "MakeContextCurrent", "CreatePbuffer", "DestroyPbuffer", "GetDrawableAttributes",
		"ChangeDrawableAttributes", "CreateWindow", "DeleteWindow", "SetClientInfoARB", "CreateContextAttribsARB",
		"SetClientInfo2ARB"} {
		b.allow(x, n)
	}
	b.allow(x, "VendorPrivate", checked(glxVendor))
	b.allow(x, "VendorPrivateWithReply", checked(glxVendor))
	// The GL "single" requests: opcodes 101 and up, on the current context.
	m := xproto.ByHeader(x)
	for op := 101; op < len(m.Requests); op++ {
		if q := m.Requests[op]; q != nil {
			b.allow(x, q.Name)
		}
	}
}
