// go_echo: the Go peer of bench/storm and bench/soak's comparisons: a goroutine per connection,
// each reading into its own 64 KiB buffer and writing back what arrived (the same code shape as
// examples/echo_server.cpp), on one OS thread running Go code (GOMAXPROCS=1, set here so the
// comparison with single-threaded servers holds whatever the environment says).
//
//	go run go_echo.go [--port N] [--seconds S]     (port 0: any free port; printed on stdout)
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"time"
)

func serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 64*1024)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return
		}
	}
}

func main() {
	port := flag.Int("port", 8007, "port (0: any free one)")
	seconds := flag.Int("seconds", 0, "stop after S seconds (0: never)")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	if *seconds > 0 {
		time.AfterFunc(time.Duration(*seconds)*time.Second, func() { os.Exit(0) })
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			continue // EMFILE and the like: Go's listener already backs off
		}
		go serve(c)
	}
}
