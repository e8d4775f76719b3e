// velero-harness drives a Velero plugin with Velero's own host code: the plugin registry walks a
// plugin directory and runs every executable through hashicorp/go-plugin exactly as `velero server`
// does (process.NewRegistry + DiscoverPlugins), and the plugin manager (clientmgmt.NewManager)
// dispenses VolumeSnapshotters. It reads one JSON request per line on stdin and answers one JSON
// line per request on stdout, so a test can change volumes between calls.
//
//	velero-harness server [velero server flags...]   (env HARNESS_PLUGIN_DIR)
//
// Like the Velero server, it lists its own executable as a plugin too: run with "run-plugins" it
// serves Velero's (empty) built-in plugin set through pkg/plugin/framework.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"github.com/sirupsen/logrus"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/vmware-tanzu/velero/pkg/plugin/clientmgmt"
	"github.com/vmware-tanzu/velero/pkg/plugin/clientmgmt/process"
	"github.com/vmware-tanzu/velero/pkg/plugin/framework"
	"github.com/vmware-tanzu/velero/pkg/plugin/framework/common"
	vsv1 "github.com/vmware-tanzu/velero/pkg/plugin/velero/volumesnapshotter/v1"
)

type request struct {
	Op         string            `json:"op"`
	Plugin     string            `json:"plugin"`
	Config     map[string]string `json:"config"`
	PV         map[string]any    `json:"pv"`
	VolumeID   string            `json:"volumeID"`
	VolumeAZ   string            `json:"volumeAZ"`
	VolumeType string            `json:"volumeType"`
	Iops       *int64            `json:"iops"`
	Tags       map[string]string `json:"tags"`
	SnapshotID string            `json:"snapshotID"`
}

type response struct {
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`
	Result any    `json:"result,omitempty"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "run-plugins" {
		framework.NewServer().BindFlags(pflagSet()).Serve()
		return
	}
	if len(os.Args) < 2 || os.Args[1] != "server" {
		fmt.Fprintln(os.Stderr, "usage: velero-harness server [flags]  (env HARNESS_PLUGIN_DIR)")
		os.Exit(2)
	}
	dir := os.Getenv("HARNESS_PLUGIN_DIR")
	logger := logrus.New()
	logger.Out = os.Stderr
	logger.Level = logrus.DebugLevel
	logger.Formatter = &logrus.JSONFormatter{}

	registry := process.NewRegistry(dir, logger, logrus.DebugLevel)
	out := json.NewEncoder(os.Stdout)
	if err := registry.DiscoverPlugins(); err != nil {
		_ = out.Encode(response{Error: "DiscoverPlugins: " + err.Error()})
		os.Exit(1)
	}
	manager := clientmgmt.NewManager(logger, logrus.DebugLevel, registry)
	defer manager.CleanupClients()
	snapshotters := map[string]vsv1.VolumeSnapshotter{}
	get := func(name string) (vsv1.VolumeSnapshotter, error) {
		if vs, ok := snapshotters[name]; ok {
			return vs, nil
		}
		vs, err := manager.GetVolumeSnapshotter(name)
		if err != nil {
			return nil, err
		}
		snapshotters[name] = vs
		return vs, nil
	}

	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			_ = out.Encode(response{Error: "bad request: " + err.Error()})
			continue
		}
		if req.Op == "quit" {
			_ = out.Encode(response{OK: true})
			return
		}
		res, err := handle(req, registry, get, func(name string) { delete(snapshotters, name) })
		if err != nil {
			_ = out.Encode(response{Error: err.Error()})
		} else {
			_ = out.Encode(response{OK: true, Result: res})
		}
	}
}

func handle(req request, registry process.Registry, get func(string) (vsv1.VolumeSnapshotter, error), forget func(string)) (any, error) {
	if req.Op == "listPlugins" {
		var names []map[string]string
		for _, id := range registry.List(common.PluginKindVolumeSnapshotter) {
			names = append(names, map[string]string{"name": id.Name, "command": id.Command, "kind": string(id.Kind)})
		}
		return names, nil
	}
	if req.Op == "init" {
		// Velero's snapshotter refuses a second Init; as the server does per location, take a new one.
		forget(req.Plugin)
	}
	vs, err := get(req.Plugin)
	if err != nil {
		return nil, err
	}
	switch req.Op {
	case "init":
		return nil, vs.Init(req.Config)
	case "getVolumeID":
		return vs.GetVolumeID(&unstructured.Unstructured{Object: req.PV})
	case "setVolumeID":
		pv, err := vs.SetVolumeID(&unstructured.Unstructured{Object: req.PV}, req.VolumeID)
		if err != nil {
			return nil, err
		}
		return pv.UnstructuredContent(), nil
	case "getVolumeInfo":
		t, iops, err := vs.GetVolumeInfo(req.VolumeID, req.VolumeAZ)
		if err != nil {
			return nil, err
		}
		r := map[string]any{"volumeType": t}
		if iops != nil {
			r["iops"] = *iops
		}
		return r, nil
	case "createSnapshot":
		return vs.CreateSnapshot(req.VolumeID, req.VolumeAZ, req.Tags)
	case "createVolumeFromSnapshot":
		return vs.CreateVolumeFromSnapshot(req.SnapshotID, req.VolumeType, req.VolumeAZ, req.Iops)
	case "deleteSnapshot":
		return nil, vs.DeleteSnapshot(req.SnapshotID)
	}
	return nil, fmt.Errorf("unknown op %q", req.Op)
}
