// temporal-config-check loads temporal-config/ with the configuration code of Temporal's own server, v1.32.0 (the
// release docker-compose.yml runs): the static configuration rendered as the server renders it (a Go template over
// the environment) and validated as `temporal-server start --config-file` validates it, and the dynamic
// configuration checked as `temporal-server validate-dynamic-config` checks it (known keys, right types). Keys the
// server would ignore (a misspelt one) are errors here. It is a
// module of its own so that the server's dependencies do not mix with the Kubernetes checker's.
//
//	temporal-config-check [-e NAME=VALUE]... SERVER_YAML DYNAMIC_CONFIG_YAML
//
// Prints the settings a deployment depends on as JSON; on any error prints it and exits 1.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"gopkg.in/yaml.v3"
)

type envFlags []string

func (e *envFlags) String() string     { return strings.Join(*e, ",") }
func (e *envFlags) Set(v string) error { *e = append(*e, v); return nil }

type summary struct {
	DefaultStore     string            `json:"defaultStore"`
	VisibilityStore  string            `json:"visibilityStore"`
	Stores           map[string]store  `json:"stores"`
	Services         map[string]string `json:"services"`
	FrontendHTTPPort int               `json:"frontendHttpPort"`
	Broadcast        string            `json:"broadcastAddress"`
	DynamicConfig    string            `json:"dynamicConfigFile"`
	HistoryShards    int32             `json:"numHistoryShards"`
}

type store struct {
	Plugin   string `json:"plugin"`
	Database string `json:"database"`
	Address  string `json:"address"`
	User     string `json:"user"`
	Password bool   `json:"passwordSet"`
}

func main() {
	var env envFlags
	flag.Var(&env, "e", "NAME=VALUE set in the environment the template reads (repeatable)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: temporal-config-check [-e NAME=VALUE]... SERVER_YAML DYNAMIC_CONFIG_YAML")
		os.Exit(2)
	}
	// Only the variables given count: the template must not pick up whatever this machine has set.
	os.Clearenv()
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		os.Setenv(name, value)
	}
	cfg, err := config.Load(config.WithConfigFile(flag.Arg(0)))
	if err != nil {
		fail(fmt.Errorf("%s: %w", flag.Arg(0), err))
	}
	// Stricter than the server, which ignores a key it does not know: a misspelt key would silently leave its
	// setting at the default. Rendered as the server renders it, then decoded with unknown keys refused.
	if err := strictDecode(flag.Arg(0)); err != nil {
		fail(fmt.Errorf("%s: %w", flag.Arg(0), err))
	}
	// What the server checks next, when it builds its persistence: both stores name a configured datastore.
	for _, name := range []string{cfg.Persistence.DefaultStore, cfg.Persistence.VisibilityStore} {
		if _, ok := cfg.Persistence.DataStores[name]; !ok {
			fail(fmt.Errorf("%s: persistence names datastore %q, which is not configured", flag.Arg(0), name))
		}
	}
	contents, err := os.ReadFile(flag.Arg(1))
	if err != nil {
		fail(err)
	}
	dynamic := dynamicconfig.LoadYamlFile(contents)
	if len(dynamic.Errors) > 0 {
		fail(fmt.Errorf("%s: %w", flag.Arg(1), dynamic.Err()))
	}
	// The server only warns of an unknown key or a value of the wrong type, and runs without that setting:
	// here both are errors.
	if len(dynamic.Warnings) > 0 {
		fail(fmt.Errorf("%s: %w", flag.Arg(1), errors.Join(dynamic.Warnings...)))
	}

	out := summary{
		DefaultStore:     cfg.Persistence.DefaultStore,
		VisibilityStore:  cfg.Persistence.VisibilityStore,
		Stores:           map[string]store{},
		Services:         map[string]string{},
		FrontendHTTPPort: cfg.Services["frontend"].RPC.HTTPPort,
		Broadcast:        cfg.Global.Membership.BroadcastAddress,
		HistoryShards:    cfg.Persistence.NumHistoryShards,
	}
	if cfg.DynamicConfigClient != nil {
		out.DynamicConfig = cfg.DynamicConfigClient.Filepath
	}
	for name, ds := range cfg.Persistence.DataStores {
		if ds.SQL == nil {
			fail(fmt.Errorf("datastore %s is not SQL", name))
		}
		out.Stores[name] = store{Plugin: ds.SQL.PluginName, Database: ds.SQL.DatabaseName, Address: ds.SQL.ConnectAddr, User: ds.SQL.User, Password: ds.SQL.Password != ""}
	}
	for name, svc := range cfg.Services {
		out.Services[name] = fmt.Sprintf("%s:%d", svc.RPC.BindOnIP, svc.RPC.GRPCPort)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fail(err)
	}
}

func strictDecode(file string) error {
	text, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	tpl, err := template.New(file).Funcs(sprig.FuncMap()).Parse(string(text))
	if err != nil {
		return err
	}
	var rendered bytes.Buffer
	if err := tpl.Execute(&rendered, nil); err != nil {
		return err
	}
	decoder := yaml.NewDecoder(&rendered)
	decoder.KnownFields(true)
	return decoder.Decode(&config.Config{})
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "temporal-config-check: %v\n", err)
	os.Exit(1)
}
