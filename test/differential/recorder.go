// The differential recorder: Go's net/http server (the HTTP stack of dockerd) listening on
// a Unix socket, recording what it parsed from every request it accepted: method, target,
// protocol, headers, body (or that reading it failed) and trailers. Tests feed it the same
// bytes directly and through the proxy and compare the records. Standard library only;
// it answers only a small fixed response (400 when the body cannot be read, as the engine's
// handlers do), and never touches the network.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
)

type record struct {
	Method           string      `json:"method"`
	Target           string      `json:"target"`
	Path             string      `json:"path"`
	Proto            string      `json:"proto"`
	Host             string      `json:"host"`
	Header           http.Header `json:"header"`
	ContentLength    int64       `json:"contentLength"`
	TransferEncoding []string    `json:"transferEncoding"`
	Close            bool        `json:"close"`
	Body             []byte      `json:"body"`
	BodyError        bool        `json:"bodyError"`
	Trailer          http.Header `json:"trailer"`
}

var (
	mu      sync.Mutex
	records = []record{}
)

func recordRequest(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	rec := record{
		Method: r.Method, Target: r.RequestURI, Path: r.URL.Path, Proto: r.Proto, Host: r.Host,
		Header: r.Header, ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding,
		Close: r.Close, Body: body, BodyError: err != nil, Trailer: r.Trailer,
	}
	mu.Lock()
	records = append(records, rec)
	n := len(records)
	mu.Unlock()
	answer := fmt.Sprintf("recorded %d\n", n)
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", fmt.Sprint(len(answer)))
	// Like the engine's handlers, which refuse a body they cannot read.
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
	}
	io.WriteString(w, answer)
}

func control(w http.ResponseWriter, r *http.Request) {
	mu.Lock()
	defer mu.Unlock()
	if r.Method == "POST" {
		records = []record{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(records)
}

func serve(path string, handler http.HandlerFunc) {
	listener, err := net.Listen("unix", path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go http.Serve(listener, handler)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: recorder DATA_SOCKET CONTROL_SOCKET")
		os.Exit(2)
	}
	serve(os.Args[1], recordRequest)
	serve(os.Args[2], control)
	fmt.Println("ready")
	select {}
}
