package run

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestToolErrorCarriesStderr(t *testing.T) {
	_, err := Exec{}.Run(context.Background(), nil, "sh", "-c", "echo boom >&2; exit 3")
	var te *ToolError
	if !errors.As(err, &te) || te.ExitCode() != 3 || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), `running "sh -c`) {
		t.Errorf("got %v", err)
	}
	out, err := Exec{}.Run(context.Background(), nil, "sh", "-c", "echo $LC_ALL")
	if err != nil || strings.TrimSpace(string(out)) != "C" {
		t.Errorf("LC_ALL: %q %v", out, err)
	}
}
