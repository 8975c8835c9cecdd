// Package config implements the keepalived.conf language as understood by
// keepalived 2.2.7: the line reader (comments, brace splitting, include,
// @ID conditionals, $NAME definitions, ~SEQ/~LST generators), the two
// tokenisers (plain and quoted/escaped for script keywords), a typed model
// of the VRRP and LVS sections with every keepalived default resolved, validation
// with file:line diagnostics, and a printer producing canonical text.
//
// Load and ParseBytes never panic and always return a non-nil *Config with
// whatever was valid, together with Diagnostics. Sections havip does not
// implement (BFD, SNMP/DBus, the LVS email alerts) are parsed structurally and reported
// as "not supported" warnings. Where keepalived 2.2.7 logs a faulty part
// and runs without it (an unknown keyword, a tracker without its script, an
// unparsable address, route or rule), the same part is dropped with a
// warning saying so; Diagnostics.Strict makes every warning an error. A
// block written on one line with its braces is split at the section's
// keywords.
//
// ${_RANDOM} is refused with an error: a havip config must expand the same
// way on every load, so that reloads only touch what really changed.
//
// Model comparison: every node carries a Pos, so reflect.DeepEqual sees a
// moved instance as changed. Instance.Equal (and Config.Equal) compare
// models ignoring positions; Instance.Key returns the reload identity
// keepalived uses to match old and new instances (VRID, family, interface,
// transport), not the instance name.
//
// The JSON encoding of the model uses keepalived's keyword names; durations
// are nanoseconds.
package config
