// Package lazyre holds regular expressions that compile on first use.
// lxcage runs on every click of a menu entry; package-level patterns
// compiled at start-up would cost that click for checks it never makes.
package lazyre

import (
	"regexp"
	"sync"
)

// RE is a regular expression compiled on first use.
type RE struct {
	pattern string
	once    sync.Once
	re      *regexp.Regexp
}

// New returns a pattern that compiles (and panics if invalid, as
// regexp.MustCompile does) the first time it is used.
func New(pattern string) *RE { return &RE{pattern: pattern} }

// Get returns the compiled expression.
func (l *RE) Get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.pattern) })
	return l.re
}

// MatchString reports whether s matches.
func (l *RE) MatchString(s string) bool { return l.Get().MatchString(s) }

// FindStringSubmatch is regexp's FindStringSubmatch.
func (l *RE) FindStringSubmatch(s string) []string { return l.Get().FindStringSubmatch(s) }

// FindAllStringSubmatch is regexp's FindAllStringSubmatch.
func (l *RE) FindAllStringSubmatch(s string, n int) [][]string {
	return l.Get().FindAllStringSubmatch(s, n)
}

// ReplaceAllString is regexp's ReplaceAllString.
func (l *RE) ReplaceAllString(src, repl string) string { return l.Get().ReplaceAllString(src, repl) }

// FindStringIndex is regexp's FindStringIndex.
func (l *RE) FindStringIndex(s string) []int { return l.Get().FindStringIndex(s) }

// FindAllStringIndex is regexp's FindAllStringIndex.
func (l *RE) FindAllStringIndex(s string, n int) [][]int { return l.Get().FindAllStringIndex(s, n) }

// Match is regexp's Match.
func (l *RE) Match(b []byte) bool { return l.Get().Match(b) }
