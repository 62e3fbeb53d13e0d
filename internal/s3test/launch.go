package s3test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const (
	startTimeout  = 30 * time.Second       // how long a server may take to come up
	startAttempts = 3                      // tries when another process grabs our port
	pollInterval  = 100 * time.Millisecond // between readiness probes
)

// launch starts a server of kind and waits until it answers ListBuckets.
// A start that lost a race for its port is retried on fresh ports.
func launch(kind string) (*Server, error) {
	spec, bin, err := lookupKind(kind)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		srv, err := launchOnce(kind, spec, bin)
		if err == nil || attempt == startAttempts ||
			!strings.Contains(err.Error(), "address already in use") {
			return srv, err
		}
	}
}

// launchOnce makes one attempt at starting a server.
func launchOnce(kind string, spec kindSpec, bin string) (*Server, error) {
	ports, err := freePorts(spec.ports)
	if err != nil {
		return nil, fmt.Errorf("s3test: starting %s: %w", kind, err)
	}
	p, err := newProcessDir(kind)
	if err != nil {
		return nil, fmt.Errorf("s3test: starting %s: %w", kind, err)
	}
	cmd := spec.command(bin, p.dataDir(), ports)
	if err := p.start(cmd); err != nil {
		p.stop()
		return nil, fmt.Errorf("s3test: starting %s: %w", kind, err)
	}
	srv := &Server{
		Kind: kind, Endpoint: "http://" + addr(ports[0]),
		AccessKey: accessKey, SecretKey: secretKey, Region: region,
		proc: p,
	}
	if err := srv.waitReady(startTimeout); err != nil {
		tail := p.logTail()
		p.stop()
		return nil, fmt.Errorf("s3test: starting %s failed: %s: %w\n--- tail of server log ---\n%s",
			kind, strings.Join(cmd.Args, " "), err, tail)
	}
	return srv, nil
}

// freePorts returns n distinct free TCP ports on 127.0.0.1. They are free
// when returned, but another process may take them before the server does.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		defer l.Close() // hold every listener until return so ports differ
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitReady polls ListBuckets until it succeeds, the process exits or the
// timeout passes.
func (s *Server) waitReady(timeout time.Duration) error {
	client := s.newClient(func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := client.ListBuckets(ctx, &s3.ListBucketsInput{})
		cancel()
		switch {
		case err == nil:
			return nil
		case s.proc.hasExited():
			return fmt.Errorf("server exited before it was ready: %w", s.proc.exitErr())
		case time.Now().After(deadline):
			return fmt.Errorf("server not ready after %v: %w", timeout, err)
		}
		time.Sleep(pollInterval)
	}
}
