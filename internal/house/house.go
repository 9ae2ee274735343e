// Package house holds the tests of the code base's shape: which package
// may import which (mechanism never imports policy; only the editor links
// the GUI toolkit), that profiles stays pure, and that no function of the
// product grows past what one can read at once.
package house
