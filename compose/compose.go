// Package compose loads a catalog template's compose file (Rancher 1.x v1, or v2/v3 and the
// modern Compose spec) with the answers as the only interpolation source, checks that every
// service can run VRRP (host network, the right capabilities) and prints the ready-to-run file.
package compose

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/interpolation"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"
)

// DefaultProjectName names the project when the file has no top-level `name:`.
const DefaultProjectName = "havip"

// Load parses a compose file and returns the interpolated project.
//
// A Rancher 1.x / compose v1 file (services at the top level, `net:`) is converted first:
// services are wrapped in `services:`, `version:` is dropped, `net` becomes `network_mode`,
// `log_driver`/`log_opt` become `logging`, `dockerfile` moves into `build`. The same
// per-service conversions apply to v2/v3 files. Labels, io.rancher.* included, are kept.
//
// Interpolation reads only env (the answers), never the process environment. `$${X}` gives
// the literal `${X}`; `${X:-d}` and `${X:?msg}` work as in Compose. Unlike Compose, a plain
// `${X}` or `$X` whose X is not in env is an error naming X; write `${X:-}` to allow an empty
// value. Files are loaded hermetically: nothing else is read from disk (relative paths are
// not resolved, env_file and label_file are left for the container runtime, include and
// extends.file are refused).
func Load(filename string, data []byte, env map[string]string) (*types.Project, error) {
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	doc, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: the file is not a mapping of services (or of version/services/networks/volumes)", filename)
	}
	if _, ok := doc["include"]; ok {
		return nil, fmt.Errorf("%s: include is not supported: put every service in this one file", filename)
	}
	doc, err := modernize(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	name := DefaultProjectName
	if n, ok := doc["name"].(string); ok && n != "" && loader.NormalizeProjectName(n) == n {
		name = n
	}
	mapping := types.Mapping{}
	for k, v := range env {
		mapping[k] = v
	}
	details := types.ConfigDetails{
		ConfigFiles: []types.ConfigFile{{Filename: filename, Config: doc}},
		Environment: mapping,
	}
	project, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName(name, true)
		o.ResolvePaths = false
		o.SkipInclude = true
		o.SkipResolveEnvironment = true
		o.SkipResolveLabels = true
		o.Interpolate = &interpolation.Options{
			LookupValue: mapping.Resolve,
			Substitute:  strictSubstitute,
		}
	})
	if err != nil {
		return nil, prefixEach(filename, err)
	}
	return project, nil
}

// prefixEach names the file on every line of a joined error, keeping the errors unwrappable.
func prefixEach(filename string, err error) error {
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return fmt.Errorf("%s: %w", filename, err)
	}
	var errs []error
	for _, e := range joined.Unwrap() {
		errs = append(errs, prefixEach(filename, e))
	}
	return errors.Join(errs...)
}

// UnsetVariableError reports a plain `${X}` reference to a variable that has no answer.
type UnsetVariableError struct {
	Variable string
}

func (e *UnsetVariableError) Error() string {
	return fmt.Sprintf("variable %s has no value: answer %s, or write ${%s:-} in the compose file to allow an empty value", e.Variable, e.Variable, e.Variable)
}

// strictSubstitute is Compose's substitution, except that a plain reference to an unset
// variable is an UnsetVariableError instead of a logged warning and an empty string.
func strictSubstitute(s string, mapping template.Mapping) (string, error) {
	return template.SubstituteWithOptions(s, mapping, template.WithoutLogging,
		template.WithReplacementFunction(func(sub string, m template.Mapping, cfg *template.Config) (string, error) {
			var missing string
			recording := func(name string) (string, bool) {
				v, ok := m(name)
				if !ok {
					missing = name
				}
				return v, ok
			}
			value, applied, err := template.DefaultReplacementAppliedFunc(sub, recording, cfg)
			if err == nil && !applied && missing != "" {
				return "", &UnsetVariableError{Variable: missing}
			}
			return value, err
		}))
}

// Check verifies that every service can run VRRP: `network_mode: host`, and cap_add holding
// NET_ADMIN, NET_RAW and NET_BROADCAST (a CAP_ prefix and any case are accepted; ALL or
// `privileged: true` satisfy it) without cap_drop removing them. cap_drop is read as Docker
// applies it: a privileged service keeps every capability, and a capability named in cap_add
// survives any cap_drop (even ALL); only `cap_add: [ALL]` loses what cap_drop names. All
// problems are joined, each naming the service and what to change.
func Check(p *types.Project) error {
	var errs []error
	for _, name := range sortedServiceNames(p) {
		s := p.Services[name]
		if s.NetworkMode != "host" {
			current := "not set (a bridge network)"
			if s.NetworkMode != "" {
				current = fmt.Sprintf("%q", s.NetworkMode)
			}
			errs = append(errs, fmt.Errorf("service %s: network_mode is %s: set network_mode: host (VRRP and the VIPs live on the host's interfaces)", name, current))
		}
		added := capabilitySet(s.CapAdd)
		dropped := capabilitySet(s.CapDrop)
		var missing, removed []string
		for _, c := range RequiredCapabilities {
			if !s.Privileged && added["ALL"] && !added[c] && (dropped[c] || dropped["ALL"]) {
				removed = append(removed, c)
			}
			if !s.Privileged && !added[c] && !added["ALL"] {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			errs = append(errs, fmt.Errorf("service %s: cap_add lacks %s: add it to cap_add (VRRP needs %s)", name, strings.Join(missing, ", "), strings.Join(RequiredCapabilities, ", ")))
		}
		if len(removed) > 0 {
			errs = append(errs, fmt.Errorf("service %s: cap_drop removes %s: take it out of cap_drop", name, strings.Join(removed, ", ")))
		}
	}
	if len(p.Services) == 0 {
		errs = append(errs, errors.New("the compose file defines no services"))
	}
	return errors.Join(errs...)
}

// RequiredCapabilities are the Linux capabilities the VRRP engine needs: addresses and
// routes (NET_ADMIN), raw VRRP/ARP sockets (NET_RAW) and broadcast (NET_BROADCAST).
var RequiredCapabilities = []string{"NET_ADMIN", "NET_RAW", "NET_BROADCAST"}

// capabilitySet normalises capability names: upper case, without the CAP_ prefix.
func capabilitySet(caps []string) map[string]bool {
	set := map[string]bool{}
	for _, c := range caps {
		set[strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(c)), "CAP_")] = true
	}
	return set
}

// sortedServiceNames lists the project's services in name order.
func sortedServiceNames(p *types.Project) []string {
	names := make([]string, 0, len(p.Services))
	for name := range p.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
