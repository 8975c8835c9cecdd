package compose

import "fmt"

// topLevelKeys are the keys of a modern compose file that are not services.
var topLevelKeys = map[string]bool{
	"version": true, "name": true, "services": true, "networks": true, "volumes": true,
	"secrets": true, "configs": true, "include": true, "models": true,
}

// modernize turns a v1 file (services at the top level) into the modern layout and rewrites
// v1-only service keys. It drops `version`.
func modernize(doc map[string]any) (map[string]any, error) {
	out := map[string]any{}
	services := map[string]any{}
	if s, ok := doc["services"]; ok {
		m, ok := s.(map[string]any)
		if !ok && s != nil {
			return nil, fmt.Errorf("services is not a mapping of service names to services")
		}
		for k, v := range doc {
			out[k] = v
		}
		for k, v := range m {
			services[k] = v
		}
	} else {
		// Compose v1: every top-level key but version is a service.
		for k, v := range doc {
			if k == "version" {
				continue
			}
			if topLevelKeys[k] {
				return nil, fmt.Errorf("top-level %s without services: a v1 file holds only services, a later one needs a services: mapping", k)
			}
			services[k] = v
		}
	}
	delete(out, "version")
	for name, s := range services {
		svc, ok := s.(map[string]any)
		if !ok {
			if s == nil {
				svc = map[string]any{}
			} else {
				return nil, fmt.Errorf("service %s is not a mapping (got %T): a service needs keys such as image", name, s)
			}
		}
		converted, err := convertService(svc)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", name, err)
		}
		services[name] = converted
	}
	out["services"] = services
	return out, nil
}

// convertService rewrites the v1 keys net, log_driver, log_opt and dockerfile.
func convertService(svc map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(svc))
	for k, v := range svc {
		out[k] = v
	}
	if extends, ok := out["extends"].(map[string]any); ok {
		if _, fromFile := extends["file"]; fromFile {
			return nil, fmt.Errorf("extends.file is not supported: extend a service of this same file")
		}
	}
	if net, ok := out["net"]; ok {
		if _, both := out["network_mode"]; both {
			return nil, fmt.Errorf("both net and network_mode are set: keep network_mode")
		}
		out["network_mode"] = net
		delete(out, "net")
	}
	driver, hasDriver := out["log_driver"]
	options, hasOptions := out["log_opt"]
	if hasDriver || hasOptions {
		if _, both := out["logging"]; both {
			return nil, fmt.Errorf("both logging and log_driver/log_opt are set: keep logging")
		}
		logging := map[string]any{}
		if hasDriver {
			logging["driver"] = driver
		}
		if hasOptions {
			logging["options"] = options
		}
		out["logging"] = logging
		delete(out, "log_driver")
		delete(out, "log_opt")
	}
	if dockerfile, ok := out["dockerfile"]; ok {
		switch build := out["build"].(type) {
		case string:
			out["build"] = map[string]any{"context": build, "dockerfile": dockerfile}
		case map[string]any:
			if _, both := build["dockerfile"]; both {
				return nil, fmt.Errorf("both dockerfile and build.dockerfile are set: keep build.dockerfile")
			}
			b := make(map[string]any, len(build)+1)
			for k, v := range build {
				b[k] = v
			}
			b["dockerfile"] = dockerfile
			out["build"] = b
		default:
			return nil, fmt.Errorf("dockerfile is set without build: give build the context folder")
		}
		delete(out, "dockerfile")
	}
	return out, nil
}
