package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/lxcage/lxcage/profiles"
)

// The commands every command-line tool has: help, version, shell
// completions and the man page, all made from the command table.
func init() {
	commands = append(commands,
		&command{name: "help", args: "[COMMAND]", short: "show this help, or a command's", run: cmdHelp, complete: "commands"},
		&command{name: "version", short: "print lxcage's version (also: lxcage --version)", run: cmdVersion},
		&command{name: "completion", args: "bash|zsh|fish", short: "print the shell completion script (commands, options, profile names)", run: cmdCompletion,
			subs: []string{"bash", "zsh", "fish"},
			long: `make install puts them where the shells look. By hand:
  bash:  lxcage completion bash >~/.local/share/bash-completion/completions/lxcage
  zsh:   lxcage completion zsh >~/.zfunc/_lxcage   (with fpath+=(~/.zfunc) before compinit)
  fish:  lxcage completion fish >~/.config/fish/completions/lxcage.fish`},
		&command{name: "_man", hidden: true, run: func(e *env, _ *flag.FlagSet, _ []string) error { return manPage(e.stdout) }},
	)
}

func cmdHelp(e *env, _ *flag.FlagSet, args []string) error {
	switch {
	case len(args) == 0:
		usage(e.stdout)
		return nil
	case len(args) > 1:
		return usageError{"help takes one command"}
	}
	c := find(args[0])
	if c == nil || c.hidden {
		return usageError{fmt.Sprintf("unknown command %q%s", args[0], suggestCommand(args[0]))}
	}
	c.usage(e.stdout)
	return nil
}

func cmdVersion(e *env, _ *flag.FlagSet, args []string) error {
	if len(args) > 0 {
		return usageError{"version takes no arguments"}
	}
	fmt.Fprintln(e.stdout, "lxcage", version)
	return nil
}

func cmdCompletion(e *env, _ *flag.FlagSet, args []string) error {
	if len(args) != 1 {
		return usageError{"expected bash, zsh or fish"}
	}
	switch args[0] {
	case "bash":
		bashCompletion(e.stdout)
	case "zsh":
		zshCompletion(e.stdout)
	case "fish":
		fishCompletion(e.stdout)
	default:
		return usageError{fmt.Sprintf("no completion for %q: expected bash, zsh or fish", args[0])}
	}
	return nil
}

// flagInfo is one option of a command, for completions and the man page.
type flagInfo struct {
	name, usage string
	bool        bool
}

// commandFlags are c's own options (not the global ones).
func (c *command) commandFlags() []flagInfo {
	if c.flags == nil {
		return nil
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.flags(fs)
	var out []flagInfo
	fs.VisitAll(func(f *flag.Flag) {
		b, ok := f.Value.(interface{ IsBoolFlag() bool })
		out = append(out, flagInfo{f.Name, f.Usage, ok && b.IsBoolFlag()})
	})
	return out
}

// Completion words taken from the table.
type words struct {
	commands       []string
	globalFlags    []string // --lxcpath …
	valueFlags     []string // options followed by a value: -P --lxcpath … --preset
	firstProfile   []string // commands completing a profile as their first argument
	everyProfile   []string // … as every argument
	fileArg        []string
	subsThenProfil map[string][]string
	subsOnly       map[string][]string
	flags          map[string][]string // each command's own options
	short          map[string]string
}

func completionWords() words {
	w := words{subsThenProfil: map[string][]string{}, subsOnly: map[string][]string{}, flags: map[string][]string{}, short: map[string]string{}}
	for _, o := range globalOptions {
		if o.arg != "" {
			w.valueFlags = append(w.valueFlags, strings.Split(o.names, ", ")...)
		}
		for _, n := range strings.Split(o.names, ", ") {
			if strings.HasPrefix(n, "--") {
				w.globalFlags = append(w.globalFlags, n)
			}
		}
	}
	for _, c := range visible() {
		w.commands = append(w.commands, c.name)
		w.short[c.name] = c.short
		for _, f := range c.commandFlags() {
			w.flags[c.name] = append(w.flags[c.name], "--"+f.name)
			if !f.bool && !contains(w.valueFlags, "--"+f.name) {
				w.valueFlags = append(w.valueFlags, "--"+f.name)
			}
		}
		switch {
		case len(c.subs) > 0 && c.complete == "profiles":
			w.subsThenProfil[c.name] = c.subs
		case len(c.subs) > 0:
			w.subsOnly[c.name] = c.subs
		case c.complete == "profile":
			w.firstProfile = append(w.firstProfile, c.name)
		case c.complete == "profiles":
			w.everyProfile = append(w.everyProfile, c.name)
		case c.complete == "file":
			w.fileArg = append(w.fileArg, c.name)
		}
	}
	return w
}

func sortedKeys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func join(l []string) string { return strings.Join(l, " ") }

// bashCompletion writes the bash completion script. Profile and preset
// names come from the lxcage being completed, when the shell asks.
func bashCompletion(w io.Writer) {
	cw := completionWords()
	var b strings.Builder
	fmt.Fprintf(&b, `# bash completion for lxcage, written by "lxcage completion bash".
_lxcage() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} lx=${COMP_WORDS[0]}
	local i cmd= n=0
	case $prev in
	-P | --lxcpath) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	-o | --logfile | --from) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	-l | --logpriority) COMPREPLY=($(compgen -W %q -- "$cur")); return ;;
	--preset) COMPREPLY=($(compgen -W "$("$lx" presets --names 2>/dev/null)" -- "$cur")); return ;;
	%s) return ;;
	esac
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		%s) i=$((i + 1)) ;;
		-*) ;;
		*) if [ -z "$cmd" ]; then cmd=${COMP_WORDS[i]}; else n=$((n + 1)); fi ;;
		esac
	done
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W %q -- "$cur"))
		return
	fi
	if [ "$cmd" = launch ] && [ $n -gt 0 ]; then
		return # the app's own arguments
	fi
	if [[ $cur == -* ]]; then
		case $cmd in
`, join(profiles.LogLevels), strings.Join(otherValueFlags(cw), " | "), strings.Join(cw.valueFlags, " | "), join(append(append([]string{}, cw.commands...), cw.globalFlags...)))
	for _, c := range sortedKeys(cw.flags) {
		fmt.Fprintf(&b, "\t\t%s) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", c, join(append(append([]string{}, cw.flags[c]...), cw.globalFlags...)))
	}
	fmt.Fprintf(&b, "\t\t*) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n\t\tesac\n\t\treturn\n\tfi\n\tcase $cmd in\n", join(cw.globalFlags))
	profilesCmd := `COMPREPLY=($(compgen -W "$("$lx" list --names 2>/dev/null)" -- "$cur"))`
	fmt.Fprintf(&b, "\t%s) [ $n -eq 0 ] && %s ;;\n", strings.Join(cw.firstProfile, " | "), profilesCmd)
	fmt.Fprintf(&b, "\t%s) %s ;;\n", strings.Join(cw.everyProfile, " | "), profilesCmd)
	fmt.Fprintf(&b, "\t%s) [ $n -eq 0 ] && COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n", strings.Join(cw.fileArg, " | "))
	fmt.Fprintf(&b, "\thelp) [ $n -eq 0 ] && COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", join(cw.commands))
	for _, c := range sortedKeys(cw.subsThenProfil) {
		fmt.Fprintf(&b, "\t%s) if [ $n -eq 0 ]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); else %s; fi ;;\n", c, join(cw.subsThenProfil[c]), profilesCmd)
	}
	for _, c := range sortedKeys(cw.subsOnly) {
		fmt.Fprintf(&b, "\t%s) [ $n -eq 0 ] && COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", c, join(cw.subsOnly[c]))
	}
	b.WriteString("\tesac\n}\ncomplete -F _lxcage lxcage\n")
	io.WriteString(w, b.String())
}

// otherValueFlags are the options with a value that is not completed.
func otherValueFlags(cw words) []string {
	var out []string
	for _, f := range cw.valueFlags {
		switch f {
		case "-P", "--lxcpath", "-o", "--logfile", "-l", "--logpriority", "--preset", "--from":
		default:
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		out = []string{"--no-such-option"}
	}
	return out
}

// zshCompletion writes the zsh completion function (an autoloaded
// _lxcage file: its text is the function's body).
func zshCompletion(w io.Writer) {
	cw := completionWords()
	var b strings.Builder
	b.WriteString("#compdef lxcage\n# zsh completion for lxcage, written by \"lxcage completion zsh\".\n")
	b.WriteString("local cur=${words[CURRENT]} prev=${words[CURRENT-1]} lx=${words[1]} cmd= i n=0\n")
	b.WriteString("local -a cmds\ncmds=(\n")
	for _, c := range cw.commands {
		fmt.Fprintf(&b, "\t%s\n", zshQuote(c+":"+cw.short[c]))
	}
	fmt.Fprintf(&b, `)
case $prev in
-P | --lxcpath) _files -/; return ;;
-o | --logfile | --from) _files; return ;;
-l | --logpriority) compadd -- %s; return ;;
--preset) compadd -- ${(f)"$($lx presets --names 2>/dev/null)"}; return ;;
%s) return ;;
esac
for ((i = 2; i < CURRENT; i++)); do
	case ${words[i]} in
	%s) i=$((i + 1)) ;;
	-*) ;;
	*) if [[ -z $cmd ]]; then cmd=${words[i]}; else n=$((n + 1)); fi ;;
	esac
done
if [[ -z $cmd ]]; then
	if [[ $cur == -* ]]; then compadd -- %s; else _describe command cmds; fi
	return
fi
[[ $cmd == launch && $n -gt 0 ]] && return
if [[ $cur == -* ]]; then
	case $cmd in
`, join(profiles.LogLevels), strings.Join(otherValueFlags(cw), " | "), strings.Join(cw.valueFlags, " | "), join(cw.globalFlags))
	for _, c := range sortedKeys(cw.flags) {
		fmt.Fprintf(&b, "\t%s) compadd -- %s ;;\n", c, join(append(append([]string{}, cw.flags[c]...), cw.globalFlags...)))
	}
	fmt.Fprintf(&b, "\t*) compadd -- %s ;;\n\tesac\n\treturn\nfi\ncase $cmd in\n", join(cw.globalFlags))
	profilesCmd := `compadd -- ${(f)"$($lx list --names 2>/dev/null)"}`
	fmt.Fprintf(&b, "%s) (( n == 0 )) && %s ;;\n", strings.Join(cw.firstProfile, " | "), profilesCmd)
	fmt.Fprintf(&b, "%s) %s ;;\n", strings.Join(cw.everyProfile, " | "), profilesCmd)
	fmt.Fprintf(&b, "%s) (( n == 0 )) && _files ;;\n", strings.Join(cw.fileArg, " | "))
	b.WriteString("help) (( n == 0 )) && _describe command cmds ;;\n")
	for _, c := range sortedKeys(cw.subsThenProfil) {
		fmt.Fprintf(&b, "%s) if (( n == 0 )); then compadd -- %s; else %s; fi ;;\n", c, join(cw.subsThenProfil[c]), profilesCmd)
	}
	for _, c := range sortedKeys(cw.subsOnly) {
		fmt.Fprintf(&b, "%s) (( n == 0 )) && compadd -- %s ;;\n", c, join(cw.subsOnly[c]))
	}
	b.WriteString("esac\n")
	io.WriteString(w, b.String())
}

func zshQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// fishCompletion writes the fish completion script.
func fishCompletion(w io.Writer) {
	cw := completionWords()
	var b strings.Builder
	fmt.Fprintf(&b, `# fish completion for lxcage, written by "lxcage completion fish".
# The words after lxcage, without options and their values.
function __lxcage_args
    set -l skip 0
    for w in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case %s
                set skip 1
            case '-*'
            case '*'
                echo $w
        end
    end
end
# Completing the first argument of one of the commands given.
function __lxcage_first
    set -l a (__lxcage_args)
    test (count $a) -eq 1; and contains -- $a[1] $argv
end
# Completing any argument of one of the commands given.
function __lxcage_any
    set -l a (__lxcage_args)
    test (count $a) -ge 1; and contains -- $a[1] $argv
end
function __lxcage_profiles
    set -l lx (commandline -opc)[1]
    $lx list --names 2>/dev/null
end
function __lxcage_presets
    set -l lx (commandline -opc)[1]
    $lx presets --names 2>/dev/null
end
complete -c lxcage -f
complete -c lxcage -s P -l lxcpath -r -a '(__fish_complete_directories)' -d 'where containers live'
complete -c lxcage -s o -l logfile -r -F -d 'LXC log file'
complete -c lxcage -s l -l logpriority -r -a %q -d 'LXC log level'
complete -c lxcage -l notify -d 'also report errors as desktop notifications'
complete -c lxcage -l version -d "print lxcage's version"
complete -c lxcage -s h -l help -d 'print the help'
`, strings.Join(cw.valueFlags, " "), join(profiles.LogLevels))
	for _, c := range cw.commands {
		fmt.Fprintf(&b, "complete -c lxcage -n 'test (count (__lxcage_args)) -eq 0' -a %s -d %s\n", c, fishQuote(cw.short[c]))
	}
	for _, c := range visible() {
		for _, f := range c.commandFlags() {
			arg := ""
			switch {
			case f.name == "preset":
				arg = " -r -a '(__lxcage_presets)'"
			case f.name == "from":
				arg = " -r -F"
			case !f.bool:
				arg = " -r"
			}
			fmt.Fprintf(&b, "complete -c lxcage -n '__lxcage_any %s' -l %s%s -d %s\n", c.name, f.name, arg, fishQuote(f.usage))
		}
	}
	fmt.Fprintf(&b, "complete -c lxcage -n '__lxcage_first %s' -a '(__lxcage_profiles)'\n", join(cw.firstProfile))
	fmt.Fprintf(&b, "complete -c lxcage -n '__lxcage_any %s' -a '(__lxcage_profiles)'\n", join(cw.everyProfile))
	fmt.Fprintf(&b, "complete -c lxcage -n '__lxcage_first %s' -F\n", join(cw.fileArg))
	fmt.Fprintf(&b, "complete -c lxcage -n '__lxcage_first help' -a %q\n", join(cw.commands))
	for _, c := range sortedKeys(cw.subsThenProfil) {
		fmt.Fprintf(&b, "complete -c lxcage -n '__lxcage_first %s' -a %q\n", c, join(cw.subsThenProfil[c]))
		fmt.Fprintf(&b, "complete -c lxcage -n '__lxcage_any %s; and not __lxcage_first %s' -a '(__lxcage_profiles)'\n", c, c)
	}
	for _, c := range sortedKeys(cw.subsOnly) {
		fmt.Fprintf(&b, "complete -c lxcage -n '__lxcage_first %s' -a %q\n", c, join(cw.subsOnly[c]))
	}
	io.WriteString(w, b.String())
}

func fishQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

// manPage writes lxcage(1) in roff from the command table.
func manPage(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH LXCAGE 1 \"\" \"lxcage %s\" \"User Commands\"\n", roffText(version))
	b.WriteString(".SH NAME\nlxcage \\- run desktop apps in unprivileged LXC containers\n")
	b.WriteString(".SH SYNOPSIS\n.B lxcage\n[\\fB\\-P\\fR \\fILXCPATH\\fR] [\\fB\\-o\\fR \\fILOGFILE\\fR] [\\fB\\-l\\fR \\fILEVEL\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n")
	b.WriteString(".SH DESCRIPTION\n" + roffText(about) + "\n")
	b.WriteString("Each app runs from a profile, a small TOML file in\n.IR $XDG_CONFIG_HOME/lxcage/profiles/NAME.toml ,\n" +
		"that says which program to run and what it may reach on the host.\nThe graphical editor of profiles is\n.BR lxcage\\-editor .\n")
	b.WriteString(".SH COMMANDS\n")
	for _, c := range visible() {
		fmt.Fprintf(&b, ".TP\n.B lxcage %s\n", roffOpt(strings.TrimSpace(c.name+" "+c.args)))
		b.WriteString(roffText(upper(c.short)) + ".\n")
		if c.long != "" {
			b.WriteString(".RS\n.PP\n.nf\n" + roffText(strings.TrimSpace(c.long)) + "\n.fi\n.RE\n")
		}
		if fl := c.commandFlags(); len(fl) > 0 {
			b.WriteString(".RS\n")
			for _, f := range fl {
				arg := ""
				if !f.bool {
					arg = " \\fIVALUE\\fR"
				}
				fmt.Fprintf(&b, ".TP\n.B \\-\\-%s%s\n%s\n", roffOpt(f.name), arg, roffText(upper(f.usage)))
			}
			b.WriteString(".RE\n")
		}
	}
	b.WriteString(".SH OPTIONS\nGlobal options go before or after the command.\n")
	for _, o := range globalOptions {
		arg := ""
		if o.arg != "" {
			arg = " \\fI" + o.arg + "\\fR"
		}
		fmt.Fprintf(&b, ".TP\n.B %s%s\n%s\n", roffOpt(o.names), arg, roffText(upper(o.doc)))
	}
	b.WriteString(".SH EXIT STATUS\n")
	for _, s := range exitStatuses {
		fmt.Fprintf(&b, ".TP\n.B %s\n%s\n", s.code, roffText(upper(s.doc)))
	}
	b.WriteString(`.SH FILES
.TP
.I $XDG_CONFIG_HOME/lxcage/profiles/NAME.toml
A profile (default $XDG_CONFIG_HOME: ~/.config).
.TP
.I ~/.local/share/lxc
Where containers live unless \-P says otherwise.
.TP
.I $XDG_CACHE_HOME/lxcage/NAME.log
LXC's log of a profile's container, and the details of failed launches.
.SH ENVIRONMENT
.TP
.B LXCAGE_BIN
The lxcage binary menu entries and the editor run.
.TP
.B LXCAGE_TRACE
Set to 1: print how long each step of a launch takes.
.SH SEE ALSO
.BR lxcage\-editor (1),
.BR lxc.container.conf (5),
.BR lxc\-start (1)
`)
	_, err := io.WriteString(w, b.String())
	return err
}

// roffText escapes text for roff: backslashes, characters beyond ASCII,
// and lines that would start a request.
func roffText(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	var b strings.Builder
	for _, r := range s {
		if r > 127 {
			fmt.Fprintf(&b, `\[u%04X]`, r) // groff reads ASCII
			continue
		}
		b.WriteRune(r)
	}
	s = b.String()
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}

// roffOpt is roffText with minus signs that stay minus signs (options are
// typed, not hyphenated).
func roffOpt(s string) string { return strings.ReplaceAll(roffText(s), "-", `\-`) }

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
