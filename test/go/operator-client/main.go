// Command operator-client is an example operator-side client of snapstream.v1.Agent in Go, the
// storage operator's language. It reads proto/snapstream/v1/agent.proto at run time (bufbuild's
// protocompile: no protoc or generated code needed) and calls the agent over mTLS with dynamic
// messages: Inventory, CreateSnapshot, Backup + WatchJob, Restore + WatchJob, and one refused
// request whose google.rpc.ErrorInfo it decodes. CI runs it against a real agent
// (test/agent/go-operator-client.test.ts); it prints one JSON summary line on stdout.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bufbuild/protocompile"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

type agent struct {
	conn *grpc.ClientConn
	svc  protoreflect.ServiceDescriptor
}

// call sends a unary RPC with the request given as proto JSON and returns the response message.
func (a *agent) call(ctx context.Context, method, reqJSON string) (*dynamicpb.Message, error) {
	md := a.svc.Methods().ByName(protoreflect.Name(method))
	if md == nil {
		return nil, fmt.Errorf("no method %s in %s", method, a.svc.FullName())
	}
	req := dynamicpb.NewMessage(md.Input())
	if err := protojson.Unmarshal([]byte(reqJSON), req); err != nil {
		return nil, fmt.Errorf("%s request: %w", method, err)
	}
	resp := dynamicpb.NewMessage(md.Output())
	err := a.conn.Invoke(ctx, fmt.Sprintf("/%s/%s", a.svc.FullName(), method), req, resp)
	return resp, err
}

// watch follows WatchJob to the terminal event and returns the last Job as a generic map.
func (a *agent) watch(ctx context.Context, jobID string) (map[string]any, error) {
	md := a.svc.Methods().ByName("WatchJob")
	stream, err := a.conn.NewStream(ctx, &grpc.StreamDesc{StreamName: "WatchJob", ServerStreams: true}, fmt.Sprintf("/%s/WatchJob", a.svc.FullName()))
	if err != nil {
		return nil, err
	}
	req := dynamicpb.NewMessage(md.Input())
	if err := protojson.Unmarshal([]byte(fmt.Sprintf(`{"jobId":%q,"progressIntervalMs":200}`, jobID)), req); err != nil {
		return nil, err
	}
	if err := stream.SendMsg(req); err != nil {
		return nil, err
	}
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	var last map[string]any
	for i := 0; i < 100000; i++ {
		ev := dynamicpb.NewMessage(md.Output())
		if err := stream.RecvMsg(ev); err != nil {
			if errors.Is(err, io.EOF) {
				return last, nil
			}
			return nil, err
		}
		last = toMap(ev)["job"].(map[string]any)
	}
	return nil, errors.New("WatchJob: too many events")
}

func toMap(m *dynamicpb.Message) map[string]any {
	b, err := protojson.Marshal(m)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func jobID(m *dynamicpb.Message) string {
	return toMap(m)["job"].(map[string]any)["id"].(string)
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "operator-client: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	protoDir := flag.String("proto", "proto", "directory holding snapstream/v1/agent.proto")
	addr := flag.String("addr", "127.0.0.1:9443", "agent address")
	caFile := flag.String("ca", "", "CA of the agent's certificate")
	certFile := flag.String("cert", "", "client certificate")
	keyFile := flag.String("key", "", "client key")
	serverName := flag.String("server-name", "", "name in the agent's certificate (default: the host of -addr)")
	dataset := flag.String("dataset", "", "dataset to back up")
	snap := flag.String("snap", "", "snapshot (and backup) name")
	volume := flag.String("volume", "pvc-go", "volume name")
	target := flag.String("target", "", "dataset to restore into")
	locationURL := flag.String("location", "", "location URL (s3://bucket?endpoint=...)")
	forbidden := flag.String("forbidden-dataset", "", "a dataset outside the agent's allowed pools (expects PERMISSION_DENIED)")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	compiler := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: []string{*protoDir}})}
	files, err := compiler.Compile(ctx, "snapstream/v1/agent.proto")
	if err != nil {
		fail("compile proto: %v", err)
	}
	svc := files[0].Services().ByName("Agent")
	if svc == nil {
		fail("service Agent not found in the proto")
	}

	pem, err := os.ReadFile(*caFile)
	if err != nil {
		fail("read CA: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	pair, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		fail("load client certificate: %v", err)
	}
	creds := credentials.NewTLS(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, ServerName: *serverName, MinVersion: tls.VersionTLS12})
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		fail("dial: %v", err)
	}
	defer conn.Close()
	a := &agent{conn: conn, svc: svc}
	summary := map[string]any{}

	inv, err := a.call(ctx, "Inventory", `{}`)
	if err != nil {
		fail("Inventory: %v", err)
	}
	im := toMap(inv)
	summary["node"] = im["node"]
	summary["pools"] = im["pools"]
	found := false
	for _, d := range im["datasets"].([]any) {
		if d.(map[string]any)["name"] == *dataset {
			found = true
		}
	}
	summary["datasetInInventory"] = found

	snapResp, err := a.call(ctx, "CreateSnapshot", fmt.Sprintf(`{"dataset":%q,"snapName":%q}`, *dataset, *snap))
	if err != nil {
		fail("CreateSnapshot: %v", err)
	}
	summary["snapshotGuid"] = toMap(snapResp)["guid"]

	b, err := a.call(ctx, "Backup", fmt.Sprintf(`{"volumeName":%q,"snapName":%q,"dataset":%q,"location":{"url":%q}}`, *volume, *snap, *dataset, *locationURL))
	if err != nil {
		fail("Backup: %v", err)
	}
	bj, err := a.watch(ctx, jobID(b))
	if err != nil {
		fail("WatchJob (backup): %v", err)
	}
	summary["backupPhase"] = bj["phase"]
	summary["backup"] = bj["backup"]

	r, err := a.call(ctx, "Restore", fmt.Sprintf(`{"volumeName":%q,"backupName":%q,"targetDataset":%q,"location":{"url":%q}}`, *volume, *snap, *target, *locationURL))
	if err != nil {
		fail("Restore: %v", err)
	}
	rj, err := a.watch(ctx, jobID(r))
	if err != nil {
		fail("WatchJob (restore): %v", err)
	}
	summary["restorePhase"] = rj["phase"]
	summary["restore"] = rj["restore"]

	// A request the agent must refuse: the status carries google.rpc.ErrorInfo with the stable code.
	if *forbidden != "" {
		_, err := a.call(ctx, "CreateSnapshot", fmt.Sprintf(`{"dataset":%q,"snapName":"x"}`, *forbidden))
		st, _ := status.FromError(err)
		summary["refusedStatus"] = st.Code().String()
		for _, d := range st.Details() {
			if info, ok := d.(*errdetails.ErrorInfo); ok {
				summary["refusedReason"] = info.Reason
				summary["refusedDomain"] = info.Domain
			}
		}
	}
	out, _ := json.Marshal(summary)
	fmt.Println(string(out))
}
