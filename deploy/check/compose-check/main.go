// compose-check loads a Compose file with the Compose Specification's own loader (compose-go, the library that
// `docker compose` itself is built on): schema validation, interpolation, normalization and the consistency
// checks (`depends_on` targets, secrets, networks and volumes that exist). On success it prints the resolved
// project as JSON, which the tests read instead of parsing the YAML themselves; on failure it prints the
// loader's error and exits 1.
//
//	compose-check [-e NAME=VALUE]... [-C workdir] FILE
//
// Only the variables given with -e are visible to interpolation (not this process's environment), so a run is
// the same on every machine.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type envFlags []string

func (e *envFlags) String() string     { return strings.Join(*e, ",") }
func (e *envFlags) Set(v string) error { *e = append(*e, v); return nil }

func main() {
	var env envFlags
	flag.Var(&env, "e", "NAME=VALUE visible to interpolation (repeatable)")
	workdir := flag.String("C", "", "working directory (default: the file's directory)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: compose-check [-e NAME=VALUE]... [-C workdir] FILE")
		os.Exit(2)
	}
	opts := []cli.ProjectOptionsFn{cli.WithEnv(env), cli.WithConsistency(true), cli.WithNormalization(true), cli.WithResolvedPaths(true)}
	if *workdir != "" {
		opts = append(opts, cli.WithWorkingDirectory(*workdir))
	}
	options, err := cli.NewProjectOptions([]string{flag.Arg(0)}, opts...)
	if err != nil {
		fail(err)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	out, err := project.MarshalJSON()
	if err != nil {
		fail(err)
	}
	os.Stdout.Write(out)
	os.Stdout.WriteString("\n")
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "compose-check: %v\n", err)
	os.Exit(1)
}
