// CoreDNS with only the plugins the test cluster's DNS needs: cluster.local names of
// Services and pods from the API server (kubernetes), a small cache, error logs, and bind
// (it listens on the node's bridge address only, never on the host's other interfaces). Built
// from the coredns module pinned by go.mod; nothing is forwarded past this machine.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/kubernetes"
)

// The order CoreDNS's own plugin.cfg gives these four.
func init() {
	dnsserver.Directives = []string{"bind", "errors", "cache", "kubernetes"}
}

func main() {
	coremain.Run()
}
