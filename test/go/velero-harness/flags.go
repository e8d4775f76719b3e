package main

import "github.com/spf13/pflag"

// pflagSet parses the flags the host passes to "run-plugins" (Velero's own server flags).
func pflagSet() *pflag.FlagSet {
	return pflag.NewFlagSet("run-plugins", pflag.ContinueOnError)
}
