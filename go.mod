module github.com/lxcage/lxcage

go 1.26.0

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/jezek/xgb v1.1.1
	golang.org/x/sys v0.50.0
)

require github.com/godbus/dbus/v5 v5.2.4
