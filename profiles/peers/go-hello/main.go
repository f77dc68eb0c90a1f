// The Go net/http peer of `loadtop serve` in scripts/bench-server.sh: the
// smallest idiomatic hello server, answering /plaintext like loadtop does.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
)

var hello = []byte("Hello, World!")

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/plaintext", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(hello)
	})
	fmt.Printf("listening=http://%s\n", listener.Addr())
	log.Fatal(http.Serve(listener, mux))
}
