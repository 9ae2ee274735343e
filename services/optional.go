package services

// Optional wraps a service the app can run without: when it cannot
// start for want of something on the host (no sound server running),
// the launcher warns and goes on. What it grants is bound in only if it
// is there.
func Optional(s Service, what string) Service { return &optional{Service: s, what: what} }

type optional struct {
	Service
	what string
}

// Without says what the app goes without when the service cannot start
// ("sound"); a service that is not Optional has no such method.
func (o *optional) Without() string { return o.what }

// Grant implements Service: the wrapped grant, with every bind optional.
func (o *optional) Grant() Grant {
	g := o.Service.Grant()
	binds := make([]Bind, len(g.Binds))
	for i, b := range g.Binds {
		b.Optional = true
		binds[i] = b
	}
	g.Binds = binds
	return g
}

// CanGoWithout reports whether s is Optional, and what the app then goes
// without.
func CanGoWithout(s Service) (string, bool) {
	o, ok := s.(interface{ Without() string })
	if !ok {
		return "", false
	}
	return o.Without(), true
}

// Inner is the service an Optional wraps, or s itself.
func Inner(s Service) Service {
	if o, ok := s.(*optional); ok {
		return o.Service
	}
	return s
}
