package azure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/fhirql/fhirql/internal/testsvc"
	"github.com/fhirql/fhirql/storage"
)

// TestAzurite runs the store against Azurite, Microsoft's storage
// emulator: listing, ranged streaming reads, staged-block writes that
// appear only on commit, and abfss:// locations mapped to the blob
// endpoint of the connection string. (Azurite has no ADLS Gen2 dfs
// endpoint; fhirql uses the Blob API for both, so the dfs-only API is
// never called.)
func TestAzurite(t *testing.T) {
	cs := testsvc.Azurite(t)
	ctx := context.Background()
	m, err := parseConnectionString(cs)
	if err != nil {
		t.Fatal(err)
	}
	endpoint := strings.TrimSuffix(m["BlobEndpoint"], "/")
	cname := fmt.Sprintf("t%d", time.Now().UnixNano())
	cc, err := container.NewClientFromConnectionString(cs, cname, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.Create(ctx, nil); err != nil && !strings.Contains(err.Error(), "ContainerAlreadyExists") {
		t.Fatal(err)
	}
	open := Opener(Options{ConnectionString: cs, BlockSize: 1 << 10})

	t.Run("write, list, read", func(t *testing.T) {
		st, loc, err := storage.Resolve(ctx, endpoint+"/"+cname+"/fhir/", open)
		if err != nil {
			t.Fatal(err)
		}
		// 3.5 blocks of 1 KiB: several staged blocks and a short one.
		var want bytes.Buffer
		for i := 0; want.Len() < 3584; i++ {
			fmt.Fprintf(&want, "{\"resourceType\":\"Patient\",\"id\":\"p%d\"}\n", i)
		}
		name := loc.Path + "Patient.000.ndjson"
		w, err := st.Create(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(want.Bytes()); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Stat(ctx, name); !errors.Is(err, storage.ErrNotExist) {
			t.Fatalf("the blob is visible before Commit: %v", err)
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if w.Name() != endpoint+"/"+cname+"/fhir/Patient.000.ndjson" {
			t.Errorf("Name() = %s", w.Name())
		}
		w2, _ := st.Create(ctx, loc.Path+"other/x.ndjson")
		io.WriteString(w2, "{}\n")
		w2.Commit()

		objs, err := storage.Expand(ctx, st, "fhir", func(n string) bool { return strings.HasSuffix(n, ".ndjson") })
		if err != nil {
			t.Fatal(err)
		}
		if len(objs) != 2 || objs[0].Name != "fhir/Patient.000.ndjson" || objs[0].Size != int64(want.Len()) || objs[1].Name != "fhir/other/x.ndjson" {
			t.Errorf("Expand = %+v", objs)
		}
		objs, err = storage.Expand(ctx, st, "fhir/*.ndjson", func(string) bool { return true })
		if err != nil || len(objs) != 1 {
			t.Errorf("Expand(pattern) = %+v, %v", objs, err)
		}
		rc, err := st.Open(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("read %d bytes, want the %d written", len(got), want.Len())
		}
	})

	t.Run("abort leaves the previous blob", func(t *testing.T) {
		st, _, err := storage.Resolve(ctx, endpoint+"/"+cname+"/", open)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := st.Create(ctx, "keep.csv")
		io.WriteString(w, "old\n")
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		w, _ = st.Create(ctx, "keep.csv")
		w.Write(bytes.Repeat([]byte("new\n"), 1000)) // stages blocks
		w.Abort()
		rc, err := st.Open(ctx, "keep.csv")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		if string(b) != "old\n" {
			t.Errorf("after Abort the blob holds %d bytes", len(b))
		}
	})

	t.Run("changed while read", func(t *testing.T) {
		st, _, _ := storage.Resolve(ctx, endpoint+"/"+cname+"/", open)
		w, _ := st.Create(ctx, "moving.ndjson")
		// 20 ranges of 1 KiB: more than the reader fetches ahead.
		w.Write(bytes.Repeat([]byte("a\n"), 10000))
		w.Commit()
		rc, err := st.Open(ctx, "moving.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		buf := make([]byte, 100)
		if _, err := io.ReadFull(rc, buf); err != nil {
			t.Fatal(err)
		}
		w, _ = st.Create(ctx, "moving.ndjson")
		w.Write(bytes.Repeat([]byte("b\n"), 2000))
		w.Commit()
		_, err = io.ReadAll(rc)
		if err == nil || !strings.Contains(err.Error(), "changed while it was being read") {
			t.Errorf("reading a replaced blob: %v", err)
		}
	})

	t.Run("abfss through the connection string's endpoint", func(t *testing.T) {
		st, loc, err := storage.Resolve(ctx, "abfss://"+cname+"@devstoreaccount1.dfs.core.windows.net/fhir/Patient.000.ndjson", open)
		if err != nil {
			t.Fatal(err)
		}
		o, err := st.Stat(ctx, loc.Path)
		if err != nil || o.Size == 0 {
			t.Errorf("Stat through abfss: %+v %v", o, err)
		}
	})

	t.Run("ADLS Gen2 directory marker", func(t *testing.T) {
		// What a hierarchical-namespace account shows through the Blob
		// API for a directory: an empty blob with hdi_isfolder=true.
		isDir := "true"
		if _, err := cc.NewBlockBlobClient("hns/dir").UploadBuffer(ctx, nil, &blockblob.UploadBufferOptions{Metadata: map[string]*string{"hdi_isfolder": &isDir}}); err != nil {
			t.Fatal(err)
		}
		st, _, _ := storage.Resolve(ctx, endpoint+"/"+cname+"/", open)
		w, _ := st.Create(ctx, "hns/dir/Patient.ndjson")
		io.WriteString(w, "{}\n")
		w.Commit()
		objs, err := storage.Expand(ctx, st, "hns/dir", func(n string) bool { return strings.HasSuffix(n, ".ndjson") })
		if err != nil || len(objs) != 1 || objs[0].Name != "hns/dir/Patient.ndjson" {
			t.Errorf("a directory marker read as a blob: %+v %v", objs, err)
		}
	})

	t.Run("missing container and blob", func(t *testing.T) {
		st, _, _ := storage.Resolve(ctx, endpoint+"/nosuchcontainer/x", open)
		_, err := st.List(ctx, "x")
		if !errors.Is(err, storage.ErrNotExist) || !strings.Contains(err.Error(), "create it first") {
			t.Errorf("listing a missing container: %v", err)
		}
		st, _, _ = storage.Resolve(ctx, endpoint+"/"+cname+"/", open)
		if _, err := st.Open(ctx, "nope.ndjson"); !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("opening a missing blob: %v", err)
		}
	})

	t.Run("SAS token in the location", func(t *testing.T) {
		sasURL, err := cc.GetSASURL(sas.ContainerPermissions{Read: true, List: true, Write: true, Create: true, Add: true}, time.Now().Add(time.Hour), nil)
		if err != nil {
			t.Fatal(err)
		}
		u, q, _ := strings.Cut(sasURL, "?")
		// No connection string: the SAS alone signs the requests.
		st, loc, err := storage.Resolve(ctx, u+"/sas/?"+q, Opener(Options{}))
		if err != nil {
			t.Fatal(err)
		}
		w, _ := st.Create(ctx, loc.Path+"x.ndjson")
		io.WriteString(w, "{}\n")
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		objs, err := st.List(ctx, loc.Path)
		if err != nil || len(objs) != 1 {
			t.Errorf("List with a SAS: %v %v", objs, err)
		}
		if strings.Contains(w.Name(), "sig=") || strings.Contains(loc.String(), "sig=") {
			t.Errorf("the SAS shows in %s / %s", w.Name(), loc)
		}
		// A read-only SAS cannot write: the message says what to check.
		roURL, _ := cc.GetSASURL(sas.ContainerPermissions{Read: true, List: true}, time.Now().Add(time.Hour), nil)
		u, q, _ = strings.Cut(roURL, "?")
		st, _, _ = storage.Resolve(ctx, u+"/?"+q, Opener(Options{}))
		w, _ = st.Create(ctx, "ro.ndjson")
		io.WriteString(w, "{}\n")
		if err := w.Commit(); err == nil || !strings.Contains(err.Error(), "access denied") || strings.Contains(err.Error(), "sig=") {
			t.Errorf("writing with a read-only SAS: %v", err)
		}
	})

	t.Run("wrong key is denied", func(t *testing.T) {
		bad := strings.Replace(cs, "AccountKey=", "AccountKey=AAAA", 1)
		st, _, err := storage.Resolve(ctx, endpoint+"/"+cname+"/", Opener(Options{ConnectionString: bad}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.List(ctx, ""); err == nil || !strings.Contains(err.Error(), "access denied") {
			t.Errorf("a wrong account key: %v", err)
		}
	})
}

func TestConnectionString(t *testing.T) {
	m, err := parseConnectionString("DefaultEndpointsProtocol=http;AccountName=a;AccountKey=k==;BlobEndpoint=http://127.0.0.1:1/a;")
	if err != nil || m["AccountKey"] != "k==" || m["BlobEndpoint"] != "http://127.0.0.1:1/a" {
		t.Errorf("%v %v", m, err)
	}
	if _, err := parseConnectionString("AccountKey=k"); err == nil {
		t.Error("a connection string without AccountName was accepted")
	}
}

func TestUnknownCredential(t *testing.T) {
	if _, err := newCredential("password"); err == nil || !strings.Contains(err.Error(), "managed-identity") {
		t.Errorf("newCredential(password) = %v", err)
	}
	t.Setenv("AZURE_CLIENT_SECRET", "")
	if _, err := newCredential(CredClientSecret); err == nil || !strings.Contains(err.Error(), "AZURE_TENANT_ID") {
		t.Errorf("client-secret without its variables: %v", err)
	}
}
