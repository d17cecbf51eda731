// Command etcd is the etcd server of the test bed, built from etcd's own Go module
// at the version kube-apiserver v1.37.2 pins, so the two always match.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
