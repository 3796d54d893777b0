// Command etcd is the etcd server of the test control plane: the release the Kubernetes
// module pins for its own client (go.mod), so the API server and its store agree.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
