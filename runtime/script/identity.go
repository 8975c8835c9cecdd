package script

import (
	"errors"
	"fmt"
	"os/user"
	"strconv"
)

// DefaultScriptUser is keepalived's default script_user when that account exists.
const DefaultScriptUser = "keepalived_script"

// Identity is the user (and group) a script runs as.
type Identity struct {
	User  string
	Group string
	UID   uint32
	GID   uint32
	// Groups are the supplementary groups; keepalived sets them only for `script_user U :G` style
	// configuration, so they are empty unless the caller fills them.
	Groups []uint32
}

// IsRoot reports whether the identity is uid 0.
func (id Identity) IsRoot() bool { return id.UID == 0 }

// String returns user:group for logs.
func (id Identity) String() string { return id.User + ":" + id.Group }

// LookupIdentity resolves a user name (or numeric uid) and optional group name (or gid). Without a
// group the user's primary group is used.
func LookupIdentity(userName, groupName string) (Identity, error) {
	u, err := user.Lookup(userName)
	if err != nil {
		if _, numErr := strconv.ParseUint(userName, 10, 32); numErr == nil {
			u, err = user.LookupId(userName)
		}
		if err != nil {
			return Identity{}, fmt.Errorf("script user %q: %w (want an existing user name or uid)", userName, err)
		}
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return Identity{}, fmt.Errorf("script user %q has non-numeric uid %q", userName, u.Uid)
	}
	gidText := u.Gid
	group := u.Gid
	if g, err := user.LookupGroupId(u.Gid); err == nil {
		group = g.Name
	}
	if groupName != "" {
		g, err := user.LookupGroup(groupName)
		if err != nil {
			if _, numErr := strconv.ParseUint(groupName, 10, 32); numErr == nil {
				g, err = user.LookupGroupId(groupName)
			}
			if err != nil {
				return Identity{}, fmt.Errorf("script group %q for user %q: %w (want an existing group name or gid)", groupName, userName, err)
			}
		}
		gidText, group = g.Gid, g.Name
	}
	gid, err := strconv.ParseUint(gidText, 10, 32)
	if err != nil {
		return Identity{}, fmt.Errorf("script group %q has non-numeric gid %q", group, gidText)
	}
	return Identity{User: u.Username, Group: group, UID: uint32(uid), GID: uint32(gid)}, nil
}

// DefaultIdentity chooses the identity for scripts that name no user, as keepalived does:
// script_user when configured; else the keepalived_script account when it exists; else root
// (the daemon's own user) — except that with enable_script_security keepalived refuses to fall
// back to root, so an error explains how to fix the configuration.
func DefaultIdentity(scriptUser, scriptGroup string, security bool) (Identity, error) {
	if scriptUser != "" {
		return LookupIdentity(scriptUser, scriptGroup)
	}
	id, err := LookupIdentity(DefaultScriptUser, "")
	if err == nil {
		return id, nil
	}
	var unknown user.UnknownUserError
	if !errors.As(err, &unknown) {
		return Identity{}, err
	}
	if security {
		return Identity{}, fmt.Errorf("enable_script_security is set, no script_user is configured and the default user %q does not exist: create that user or set `script_user root` (or another user) in global_defs", DefaultScriptUser)
	}
	return LookupIdentity("root", "")
}
